package mailtest

import (
	"flag"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// TempInMemory points TMPDIR at /dev/shm, when the machine has one that
// lets programs run and TMPDIR is not set already, so that t.TempDir —
// where the tests keep their SQLite files and scripts — is in memory. The
// database is opened exactly as in production (synchronous=FULL), but on
// a disk each commit's fsync waits for the device, and a suite of small
// transactions spends much of its time there: on the 2-core development
// machine, package mailbot's tests take 54 s with their files on disk
// and 33 s in memory. Nothing a test checks survives a power cut either
// way. Call it first in TestMain; TMPDIR set by hand is left alone.
func TempInMemory() {
	if os.Getenv("TMPDIR") != "" || !shmRunsPrograms() {
		return
	}
	probe, err := os.MkdirTemp("/dev/shm", "mailtest-")
	if err != nil {
		return // not ours to write
	}
	os.Remove(probe)
	os.Setenv("TMPDIR", "/dev/shm")
}

// shmRunsPrograms reports whether /dev/shm is a mount without noexec.
func shmRunsPrograms() bool {
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(mounts), "\n") {
		// device, mount point, type, options, ...
		if f := strings.Fields(line); len(f) >= 4 && f[1] == "/dev/shm" {
			return !slices.Contains(strings.Split(f[3], ","), "noexec")
		}
	}
	return false
}

// ParallelAtLeast raises go test's -parallel to n (from its default,
// GOMAXPROCS) unless -parallel was given on the command line. For a
// package whose tests mostly wait on sockets and timers rather than the
// CPU: on a 2-core machine two at a time leave it idle. Call it in
// TestMain after flag.Parse.
func ParallelAtLeast(n int) {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if f := flag.Lookup("test.parallel"); f != nil && !given && n > runtime.GOMAXPROCS(0) {
		f.Value.Set(strconv.Itoa(n))
	}
}
