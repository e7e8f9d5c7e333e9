package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/mattn/go-sqlite3"
)

// A Fault is a failure of the database's file or of the disk under it, not
// of one query: every write fails the same way until whoever runs the bot
// fixes it. SQLite's own words mislead here (a read-only disk is "unable to
// open database file: no such file or directory"), so a Fault says what is
// wrong and what to do.
type Fault struct {
	Kind FaultKind
	// Problem names the fault and the fix, in words for whoever is paged.
	Problem string
	Err     error
}

// FaultKind is what went wrong, for code that acts on it.
type FaultKind string

const (
	FaultReadOnly FaultKind = "read-only"
	FaultDiskFull FaultKind = "disk full"
	FaultLocked   FaultKind = "locked"
	// FaultMissing is a database whose folder does not exist.
	FaultMissing FaultKind = "missing"
)

func (f *Fault) Error() string { return f.Problem + ": " + f.Err.Error() }

func (f *Fault) Unwrap() error { return f.Err }

// readonlyDirectory is SQLITE_READONLY_DIRECTORY, which go-sqlite3 does
// not name: the folder will not take the -wal and -shm files.
var readonlyDirectory = sqlite3.ErrReadonly.Extend(6)

// asFault returns err as a Fault of the database at path when it is one,
// and err unchanged otherwise. This is the one place SQLite's and the
// system's error codes are read for what they say about the file.
func asFault(path string, err error) error {
	_, err = faultOf(path, err)
	return err
}

// faultOf returns the fault err is or holds, if any, and err as it is to
// be returned: a new Fault wrapping it, or err unchanged when it holds one
// already (a Fault joined with ErrTxBroken stays joined).
func faultOf(path string, err error) (*Fault, error) {
	if f := (*Fault)(nil); errors.As(err, &f) {
		return f, err
	}
	if f := classify(path, err); f != nil {
		return f, f
	}
	return nil, err
}

func classify(path string, err error) *Fault {
	if err == nil {
		return nil
	}
	fault := func(k FaultKind, problem string) *Fault { return &Fault{Kind: k, Problem: problem, Err: err} }
	var errno syscall.Errno
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrReadonly:
			if se.ExtendedCode == readonlyDirectory {
				// The folder is what is read-only; say so even if the file is not.
				if p := readOnlyProblem(filepath.Dir(path), path); p != "" {
					return fault(FaultReadOnly, p)
				}
			}
			return fault(FaultReadOnly, readOnly(path))
		case sqlite3.ErrFull:
			return fault(FaultDiskFull, diskFull(path))
		case sqlite3.ErrBusy, sqlite3.ErrLocked:
			return fault(FaultLocked, locked(path))
		case sqlite3.ErrCantOpen:
			return cantOpen(path, err)
		}
		errno = se.SystemErrno
	} else if !errors.As(err, &errno) {
		return nil
	}
	// An I/O error (SQLITE_IOERR) carries the system's reason: a disk
	// remounted read-only after errors, or a quota, fail a write this way.
	switch errno {
	case syscall.EROFS:
		// Asking the system again may not tell: a disk ext4 has made
		// read-only after an error still passes access(2).
		return fault(FaultReadOnly, roDisk("the database "+path))
	case syscall.EACCES, syscall.EPERM:
		return fault(FaultReadOnly, readOnly(path))
	case syscall.ENOSPC, syscall.EDQUOT:
		return fault(FaultDiskFull, diskFull(path))
	}
	return nil
}

func diskFull(path string) string {
	return fmt.Sprintf("the disk holding the database %s is full: free some space on it", path)
}

func readOnly(path string) string {
	if p := readOnlyProblem(path, filepath.Dir(path)); p != "" {
		return p
	}
	return fmt.Sprintf("the database %s is read-only: check the owner and permissions of it and its folder, and that its disk is mounted read-write", path)
}

// readOnlyProblem asks the system whether the bot may write each of paths,
// the database and its folder in some order, and words the first refusal;
// "" if it may write both. The answer is the system's, so it is right
// whoever the bot runs as.
func readOnlyProblem(paths ...string) string {
	for _, p := range paths {
		what := "the database " + p
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			what = "the database's folder " + p
		}
		switch err := syscall.Access(p, 2); { // 2 is W_OK
		case errors.Is(err, syscall.EROFS):
			return roDisk(what)
		case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
			return fmt.Sprintf("%s is read-only to the bot (uid %d): check its owner and permissions", what, os.Getuid())
		}
	}
	return ""
}

func roDisk(what string) string {
	return fmt.Sprintf("the disk holding %s is mounted read-only: check the disk for errors, then mount it read-write", what)
}

// cantOpen is SQLITE_CANTOPEN, whose errno is often the last of several
// files SQLite tried: the reason is found by asking about the database
// and its folder.
func cantOpen(path string, err error) *Fault {
	dir := filepath.Dir(path)
	if _, serr := os.Stat(dir); errors.Is(serr, fs.ErrNotExist) {
		return &Fault{Kind: FaultMissing, Err: err,
			Problem: fmt.Sprintf("the folder %s for the database does not exist: create it, writable by the bot's user", dir)}
	}
	if p := readOnlyProblem(path, dir); p != "" {
		return &Fault{Kind: FaultReadOnly, Problem: p, Err: err}
	}
	return nil
}

func locked(path string) string {
	who := "perhaps an sqlite3 shell or a backup left open"
	if hs := holders(path); len(hs) > 0 {
		who = "it is open in " + strings.Join(hs, "; ")
	}
	return fmt.Sprintf("the database %s is locked by another program (%s): stop it", path, who)
}

// holders names up to three other processes that have the database open,
// as far as /proc shows them (Linux; another user's processes are hidden
// unless the bot runs as root). Any of them may be the one holding the
// lock: readers are named too.
func holders(path string) []string {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		path = p
	}
	ours := map[string]bool{path: true, path + "-wal": true, path + "-shm": true, path + "-journal": true}
	procs, _ := os.ReadDir("/proc")
	var out []string
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		fds, _ := os.ReadDir("/proc/" + p.Name() + "/fd")
		for _, fd := range fds {
			if target, err := os.Readlink("/proc/" + p.Name() + "/fd/" + fd.Name()); err == nil && ours[target] {
				comm, _ := os.ReadFile("/proc/" + p.Name() + "/comm")
				out = append(out, fmt.Sprintf("%s, pid %d", strings.TrimSpace(string(comm)), pid))
				break
			}
		}
		if len(out) == 3 {
			break
		}
	}
	return out
}
