package mailbot

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailserver"
	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/betterdays/mailbot/store"
)

// The bot when its database fails under it: locked by another process, or
// on a full disk. What a message asks for is committed before the message
// is flagged \Seen, so neither may lose or repeat a request.

// TestDatabaseLockedNothingSeen: another process holds a write transaction
// on the database for longer than the bot waits for it (an officer's
// sqlite3 shell left open, a backup tool). The bot cannot record what the
// new messages ask for, so it must not flag them \Seen nor answer them; it
// says the database is locked, keeps running, and once the lock is gone
// answers each exactly once.
func TestDatabaseLockedNothingSeen(t *testing.T) {
	t.Parallel()
	ms := startMailServer(t)
	cfg := e2eConfig(t, ms, t.TempDir(), nil)
	// Not the default ten seconds: each locked attempt waits this long.
	cfg.DBBusyTimeout = 300 * time.Millisecond
	b := startAnsweringWith(t, ms, cfg)

	pid, release := holdDatabaseLock(t, b.svc.Config.DB)
	who := []string{"ann@example.org", "bob@example.org"}
	for _, w := range who {
		b.ask(w)
	}
	nothingSeenUntil(t, ms, b, who, "database is locked", store.FaultLocked,
		fmt.Sprintf("the database %s is locked by another program (it is open in mailbot.test, pid %d): stop it", b.svc.Config.DB, pid), release)
}

// startAnswering starts the bot with its database in dir, and waits until
// it has answered a first message and flagged it.
func startAnswering(t *testing.T, ms *mailserver.Server, dir string) *fltBot {
	t.Helper()
	return startAnsweringWith(t, ms, e2eConfig(t, ms, dir, nil))
}

// startAnsweringWith is startAnswering with the configuration cfg.
func startAnsweringWith(t *testing.T, ms *mailserver.Server, cfg Config) *fltBot {
	t.Helper()
	b := startFltBot(t, ms, cfg, true)
	b.ask("first@example.org")
	mailtest.WaitForMail(t, ms.IMAPAddr(), "first@example.org", 1)
	mailtest.WaitFor(t, "the first message flagged", func() bool { return b.unseen() == 0 })
	return b
}

// holdDatabaseLock starts another process that takes the database's write
// lock (BEGIN IMMEDIATE) and holds it until release is called; and its pid.
func holdDatabaseLock(t *testing.T, path string) (pid int, release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldDatabaseLock$")
	cmd.Env = append(os.Environ(), "MAILBOT_TEST_HOLD_LOCK="+path)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("lock holder said %q, %v; want locked", line, err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			stdin.Close()
			if err := cmd.Wait(); err != nil {
				t.Errorf("lock holder: %v", err)
			}
		})
	}
	t.Cleanup(release)
	return cmd.Process.Pid, release
}

// TestHelperHoldDatabaseLock is the process holdDatabaseLock starts; run
// any other way it does nothing.
func TestHelperHoldDatabaseLock(t *testing.T) {
	path := os.Getenv("MAILBOT_TEST_HOLD_LOCK")
	if path == "" {
		return
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin) // until the test closes it
	tx.Rollback()
}

// tinyDisk mounts a small tmpfs for the test's database and returns its
// folder, and fill, which takes every byte left on it and returns a
// function that gives them back.
//
// A full disk only stops a commit that needs more of it. SQLite reuses
// its write-ahead log from the start once a checkpoint has emptied it, so
// fill first checkpoints the database at db (if not "") and truncates the
// log: the bot's next commit must grow the file, and cannot.
func tinyDisk(t *testing.T) (dir string, fill func(db string) (free func())) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a full disk is made with a small tmpfs, and mounting one needs root")
	}
	dir = filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=2m,mode=0700"); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (%v): a full disk is not tested here", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	fill = func(db string) func() {
		t.Helper()
		if db != "" {
			checkpoint(t, db)
		}
		path := filepath.Join(dir, "filler")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, chunk := range []int{64 << 10, 4 << 10, 512, 1} {
			buf := make([]byte, chunk)
			for {
				if _, err := f.Write(buf); err != nil {
					if !errors.Is(err, syscall.ENOSPC) {
						t.Fatal(err)
					}
					break
				}
			}
		}
		return func() {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir, fill
}

// nothingSeenUntil checks the bot while its database cannot be written,
// which it must log as why (SQLite's words) and name as a fault of kind
// with problem (what is wrong and the fix), in the log and on /healthz: it
// keeps running, and flags and answers none of who. Once restore gives the
// database back, it answers each exactly once, flags only what it
// committed, and is healthy again. A nil restore is a fault the test
// cannot undo: only the first half is checked.
func nothingSeenUntil(t *testing.T, ms *mailserver.Server, b *fltBot, who []string, why string, kind store.FaultKind, problem string, restore func()) {
	t.Helper()
	line := b.log.waitFor(regexp.MustCompile(`level=WARN msg="inbox stopped; starting again" .*` + regexp.QuoteMeta(why)))
	t.Logf("logged: %s", line)
	if !strings.Contains(line, problem) {
		t.Errorf("the log line does not name the fault and the fix, %q", problem)
	}
	healthz := httptest.NewServer(newWeb(b.svc, b.svc.log).handler())
	defer healthz.Close()
	code, rep, _ := health(t, healthz.URL+"/healthz")
	if code != http.StatusServiceUnavailable || rep["problem"] != problem || rep["database_fault"] != string(kind) {
		t.Errorf("/healthz = %d %v\nwant 503, problem %q, database_fault %q", code, rep, problem, kind)
	}
	time.Sleep(500 * time.Millisecond) // time for a wrong flag or answer to show
	b.running()
	b.seenMeansCommitted()
	if n := b.unseen(); n != len(who) {
		t.Errorf("%d messages unseen while %s, want %d", n, why, len(who))
	}
	for _, w := range who {
		if n := len(mailtest.Mailbox(t, ms.IMAPAddr(), w)); n != 0 {
			t.Errorf("%s was answered while %s", w, why)
		}
	}

	if restore == nil {
		return
	}
	restore()
	for _, w := range who {
		mailtest.WaitForMail(t, ms.IMAPAddr(), w, 1)
	}
	mailtest.WaitFor(t, "every message flagged", func() bool { return b.unseen() == 0 })
	sentinel(t, embedded(ms), b.svc, "zed@example.org")
	for _, w := range who {
		if n := len(mailtest.Mailbox(t, ms.IMAPAddr(), w)); n != 1 {
			t.Errorf("%s has %d answers, want 1", w, n)
		}
	}
	b.seenMeansCommitted()
	b.running()
	mailtest.WaitFor(t, "/healthz to be well again", func() bool {
		code, rep, _ = health(t, healthz.URL+"/healthz")
		return code == http.StatusOK
	})
	if rep["problem"] != nil || rep["database_fault"] != nil {
		t.Errorf("/healthz once the database is back: %v", rep)
	}
}

// checkpoint copies the write-ahead log of the database at path into it
// and truncates the log to nothing.
func checkpoint(t *testing.T, path string) {
	t.Helper()
	conn, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var busy, frames, copied int
	if err := conn.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied); err != nil || busy != 0 {
		t.Fatalf("checkpoint before filling the disk: %v (busy %d)", err, busy)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Fatalf("the write-ahead log is %d bytes after a truncating checkpoint", fi.Size())
	}
}

// TestDiskFullNothingSeen: the disk holding the database fills up. The bot
// cannot commit what new messages ask for, so it must not flag them \Seen
// nor answer them; it says the disk is full, keeps running, and once there
// is room again answers each exactly once.
func TestDiskFullNothingSeen(t *testing.T) {
	t.Parallel()
	disk, fill := tinyDisk(t)
	ms := startMailServer(t)
	b := startAnswering(t, ms, disk)

	free := fill(b.svc.Config.DB)
	who := []string{"ann@example.org", "bob@example.org"}
	for _, w := range who {
		b.ask(w)
	}
	nothingSeenUntil(t, ms, b, who, "database or disk is full", store.FaultDiskFull,
		fmt.Sprintf("the disk holding the database %s is full: free some space on it", b.svc.Config.DB), free)
}

// TestDiskFullSentOnce: a reply is waiting for the SMTP server when the
// disk fills; then the server comes back. The server takes the reply, but
// the bot cannot record that it did. It must not send the reply again and
// again while the disk stays full: a record it could not write is one to
// write later, not a reason to send once more. Once there is room, the
// person has the reply once and the queue is empty.
func TestDiskFullSentOnce(t *testing.T) {
	t.Parallel()
	disk, fill := tinyDisk(t)
	ms := startMailServer(t)
	g := startGate(t, ms.SMTPAddr())
	cfg := e2eConfig(t, ms, disk, map[string]string{"MAILBOT_SMTP": "smtp://" + g.addr})
	b := startFltBot(t, ms, cfg, true)

	g.Down()
	const ann = "ann@example.org"
	b.ask(ann)
	recWaitFor(t, "the reply's first try to be recorded", func() bool {
		rows, err := b.svc.Store.OutboxByRcpt(context.Background(), ann)
		return err == nil && len(rows) == 1 && rows[0].Attempts > 0
	})
	mailtest.WaitFor(t, "the request flagged", func() bool { return b.unseen() == 0 })

	free := fill(b.svc.Config.DB)
	g.Up()
	b.svc.Outbox.Wake()
	b.log.waitFor(regexp.MustCompile(`level=ERROR msg="recording what was sent`))
	// Long enough for many tries, were each to send the reply again.
	time.Sleep(time.Second)
	b.running()
	during := len(mailtest.Mailbox(t, ms.IMAPAddr(), ann))

	free()
	recWaitFor(t, "the queue to drain", func() bool {
		st, err := b.svc.Store.OutboxStats(context.Background())
		return err == nil && st.Queued == 0
	})
	if got := len(mailtest.Mailbox(t, ms.IMAPAddr(), ann)); got != 1 || during != 1 {
		t.Errorf("Ann got the reply %d times while the disk was full, %d in all; want once", during, got)
	}
	b.running()
}

// TestSecretAfterFullDisk: at the first start the signing key cannot be
// written, because the disk it goes on (MAILBOT_SECRET_FILE, here apart
// from the database) is full. The bot must say so and stop; and once there
// is room, the next start must make the key and run, not find a key file
// left empty and refuse to start ever after. (A power cut, or a kill,
// between creating the file and writing it leaves the same empty file.)
func TestSecretAfterFullDisk(t *testing.T) {
	t.Parallel()
	disk, fill := tinyDisk(t)
	ms := startMailServer(t)
	cfg := e2eConfig(t, ms, t.TempDir(), nil)
	cfg.SecretFile = filepath.Join(disk, "mailbot.secret")

	free := fill("")
	_, log := newFltLog(t)
	if svc, err := NewService(context.Background(), cfg, SystemClock, log); err == nil {
		svc.Close()
		t.Fatal("NewService made a signing key on a full disk, want an error")
	} else if !strings.Contains(err.Error(), "no space left on device") {
		t.Errorf("NewService on a full disk: %v\nwant it to say the disk is full", err)
	}
	free()

	svc, err := NewService(context.Background(), cfg, SystemClock, log)
	if err != nil {
		t.Fatalf("NewService once there is room again: %v", err)
	}
	svc.Close()
	if fi, err := os.Stat(cfg.SecretFile); err != nil || fi.Size() != secretBytes || fi.Mode().Perm() != 0o600 {
		t.Errorf("signing key after the second start: %v, %v; want %d bytes, mode 0600", fi, err, secretBytes)
	}
}

// TestDatabaseReadOnlyAtStart: the bot starts on a database it cannot
// write: on a disk mounted read-only (a restored backup, a disk the
// kernel remounted after errors), or whose folder is missing. SQLite's
// words for all of them are "unable to open database file: no such file
// or directory"; the bot must say which it is and what to do.
func TestDatabaseReadOnlyAtStart(t *testing.T) {
	t.Parallel()
	ms := startMailServer(t)
	start := func(t *testing.T, cfg Config, want string) {
		t.Helper()
		_, log := newFltLog(t)
		svc, err := NewService(context.Background(), cfg, SystemClock, log)
		if err == nil {
			svc.Close()
			t.Fatalf("the bot started, want it to say %q", want)
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("NewService: %v\nwant it to say %q", err, want)
		}
		if f := (*store.Fault)(nil); !errors.As(err, &f) {
			t.Errorf("NewService: %v is not a store.Fault", err)
		}
	}
	t.Run("a folder that is not there", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nowhere")
		start(t, e2eConfig(t, ms, dir, nil), fmt.Sprintf("the folder %s for the database does not exist: create it", dir))
	})

	disk, _ := tinyDisk(t)
	cfg := e2eConfig(t, ms, disk, nil)
	svc, err := NewService(context.Background(), cfg, SystemClock, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	svc.Close()
	// Read-only now that nothing has a file on it open for writing.
	if err := syscall.Mount("tmpfs", disk, "tmpfs", syscall.MS_REMOUNT|syscall.MS_RDONLY, "size=2m,mode=0700"); err != nil {
		t.Fatalf("remount %s read-only: %v", disk, err)
	}
	readOnly := "is mounted read-only: check the disk for errors, then mount it read-write"
	t.Run("a read-only disk", func(t *testing.T) {
		start(t, cfg, fmt.Sprintf("the disk holding the database %s %s", cfg.DB, readOnly))
	})
	t.Run("a new database on a read-only disk", func(t *testing.T) {
		cfg := cfg
		cfg.DB = filepath.Join(disk, "new.db")
		start(t, cfg, fmt.Sprintf("the disk holding the database's folder %s %s", disk, readOnly))
	})
}

// brittleDisk mounts a small ext4 file system, which remounts itself
// read-only on an error, for the test's database, and returns its folder
// and break, which makes the kernel take it for damaged: it is read-only
// from then on, under files already open for writing too, as a real disk
// that fails is.
func brittleDisk(t *testing.T) (dir string, breakIt func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a disk that turns read-only is a loop-mounted ext4, and mounting one needs root")
	}
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Skip("no mkfs.ext4: a disk that turns read-only is not tested here")
	}
	base := t.TempDir()
	img, dir := filepath.Join(base, "disk.img"), filepath.Join(base, "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", img, "8M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	if out, err := exec.Command("mount", "-o", "loop,errors=remount-ro", img, dir).CombinedOutput(); err != nil {
		t.Skipf("cannot loop-mount an ext4 image (%v: %s): a disk that turns read-only is not tested here", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", dir, err, out)
		}
	})
	dev, err := exec.Command("findmnt", "-n", "-o", "SOURCE", dir).Output()
	if err != nil {
		t.Fatalf("findmnt %s: %v", dir, err)
	}
	trigger := filepath.Join("/sys/fs/ext4", filepath.Base(strings.TrimSpace(string(dev))), "trigger_fs_error")
	return dir, func() {
		t.Helper()
		if err := os.WriteFile(trigger, []byte("mailbot test\n"), 0); err != nil {
			t.Skipf("cannot make the disk fail (%v): a disk that turns read-only is not tested here", err)
		}
		if err := os.WriteFile(filepath.Join(dir, "probe"), nil, 0o600); !errors.Is(err, syscall.EROFS) {
			t.Fatalf("the failed disk took a write (%v), want read-only file system", err)
		}
	}
}

// TestDatabaseReadOnlyNothingSeen: the disk under the running bot fails
// and the kernel makes it read-only. The bot cannot commit what new
// messages ask for, so it must not flag them \Seen nor answer them; it
// says the disk is read-only, on /healthz too, and keeps running. (A disk
// in that state is mounted read-write again only after a check, so what
// follows is not tested: the messages are still unread, for later.)
func TestDatabaseReadOnlyNothingSeen(t *testing.T) {
	t.Parallel()
	disk, breakIt := brittleDisk(t)
	ms := startMailServer(t)
	b := startAnswering(t, ms, disk)

	breakIt()
	who := []string{"ann@example.org", "bob@example.org"}
	for _, w := range who {
		b.ask(w)
	}
	nothingSeenUntil(t, ms, b, who, "read-only file system", store.FaultReadOnly,
		fmt.Sprintf("the disk holding the database %s is mounted read-only: check the disk for errors, then mount it read-write", b.svc.Config.DB), nil)
}
