package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// runCLI runs the built binary in a new empty folder with env (PATH is
// added) and returns its exit code and output.
func runCLI(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	return runCLIIn(t, t.TempDir(), env, args...)
}

func runCLIIn(t *testing.T, dir string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	err := waitTimeout(cmd, 30*time.Second)
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return code, stdout.String(), stderr.String()
}

// TestCommandLine is the command line as people try it: help on standard
// output with exit 0, mistakes on standard error with exit 2, and the
// nearest command named for a typo.
func TestCommandLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args     []string
		code     int
		stdout   []string // each must appear
		stderr   []string
		noStdout bool
	}{
		{[]string{"help"}, 0, []string{"usage: mailbot COMMAND", "sessions import FILE.csv", "forget EMAIL", "version"}, nil, false},
		{[]string{"--help"}, 0, []string{"usage: mailbot COMMAND"}, nil, false},
		{[]string{"-h"}, 0, []string{"usage: mailbot COMMAND"}, nil, false},
		{[]string{"help", "run"}, 0, []string{"usage: mailbot run [--once]", "-once", "-replay-seen"}, nil, false},
		{[]string{"help", "bookings", "export"}, 0, []string{"usage: mailbot bookings export", "-session ID"}, nil, false},
		{[]string{"run", "--help"}, 0, []string{"usage: mailbot run", "-once"}, nil, false},
		{[]string{"sessions", "import", "--help"}, 0, []string{"usage: mailbot sessions import FILE.csv", "Add or update sessions"}, nil, false},
		{[]string{"sessions", "import", "-h"}, 0, []string{"usage: mailbot sessions import"}, nil, false},
		{[]string{"forget", "--help"}, 0, []string{"usage: mailbot forget EMAIL"}, nil, false},
		{[]string{"newsletter", "send", "--help"}, 0, []string{"-subject SUBJECT", "-dry-run"}, nil, false},
		{[]string{"version", "--help"}, 0, []string{"usage: mailbot version"}, nil, false},
		{[]string{"export", "--help"}, 0, []string{"usage: mailbot export EMAIL", "subject-access"}, nil, false},
		{[]string{"subscribers", "import", "--help"}, 0, []string{"usage: mailbot subscribers import FILE.csv [--ask]", "-ask"}, nil, false},
		{[]string{"backup", "-h"}, 0, []string{"usage: mailbot backup FILE"}, nil, false},
		{[]string{"newsletter", "resume", "--help"}, 0, []string{"usage: mailbot newsletter resume"}, nil, false},
		{nil, 2, nil, []string{"usage: mailbot COMMAND"}, true},
		{[]string{"frobnicate"}, 2, nil, []string{`unknown command "frobnicate"`, "mailbot help"}, true},
		{[]string{"froget", "a@example.org"}, 2, nil, []string{`unknown command "froget a@example.org"`, `did you mean "forget"?`}, true},
		{[]string{"sesions", "list"}, 2, nil, []string{`did you mean "sessions list"?`}, true},
		{[]string{"bookings", "exprot"}, 2, nil, []string{`did you mean "bookings export"?`}, true},
		{[]string{"help", "frobnicate"}, 2, nil, []string{`unknown command "frobnicate"`}, true},
		{[]string{"sessions", "import"}, 2, nil, []string{"want one timetable file", "usage: mailbot sessions import FILE.csv"}, true},
		{[]string{"bookings", "export", "--sesion", "x"}, 2, nil, []string{"flag provided but not defined: -sesion", "usage: mailbot bookings export"}, true},
		{[]string{"run", "extra"}, 2, nil, []string{"run takes no arguments"}, true},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, nil, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, w := range tc.stdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tc.stderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if tc.noStdout && stdout != "" {
				t.Errorf("stdout is not empty:\n%s", stdout)
			}
			if tc.code == 0 && stderr != "" {
				t.Errorf("help wrote to stderr:\n%s", stderr)
			}
		})
	}
}

// TestVersion prints the module version, Go release and schema from the
// build information, to stdout, exit 0.
func TestVersion(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, []string{"MAILBOT_TZ=Mars/Olympus"}, "version") // a wrong setting does not stop it
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !regexp.MustCompile(`^mailbot \S+ .*go1\.\d+.* schema \d+\n$`).MatchString(stdout) {
		t.Errorf("version = %q, want mailbot VERSION … goX.Y … schema N", stdout)
	}
}

// TestNoDatabaseHere: a command other than run and sessions import, run
// where there is no database, says which file it looked for and makes
// none; sessions list on an empty database says how to import.
func TestNoDatabaseHere(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"sessions", "list"},
		{"bookings", "export"},
		{"subscribers", "export"},
		{"forget", "a@example.org"},
		{"export", "a@example.org"},
		{"backup", "copy.db"},
		{"newsletter", "resume"},
		{"subscribers", "import", "/dev/null"},
		{"newsletter", "send", "--subject", "S", "--file", "/dev/null"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			dir := t.TempDir()
			code, stdout, stderr := runCLIIn(t, dir, nil, args...)
			want := "no database at " + filepath.Join(dir, "mailbot.db")
			if code != 1 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "MAILBOT_DB") {
				t.Errorf("exit %d, stderr %q; want 1 and %q naming MAILBOT_DB", code, stderr, want)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if _, err := os.Stat(filepath.Join(dir, "mailbot.db")); !os.IsNotExist(err) {
				t.Errorf("a database was made: %v", err)
			}
		})
	}

	dir := t.TempDir()
	db := filepath.Join(dir, "mailbot.db")
	csv := filepath.Join(dir, "t.csv")
	if err := os.WriteFile(csv, []byte("id,kind,title,starts,ends,capacity,location,description\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLIIn(t, dir, nil, "sessions", "import", csv); code != 0 {
		t.Fatalf("sessions import of an empty timetable: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := runCLIIn(t, dir, []string{"MAILBOT_DB=" + db}, "sessions", "list")
	if code != 0 || !strings.Contains(stdout, "mailbot sessions import FILE.csv") || !strings.Contains(stdout, "id,kind,title") {
		t.Errorf("sessions list on an empty database: exit %d, stdout %q, stderr %q; want how to import", code, stdout, stderr)
	}
}

// TestLogSetting: MAILBOT_LOG picks the level and, with json, one JSON
// object a line; anything else is refused, naming the setting.
func TestLogSetting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		setting    string
		json       bool
		debug, inf bool // whether a debug and an info line are written
	}{
		{"", false, false, true},
		{"debug", false, true, true},
		{"json", true, false, true},
		{"json,debug", true, true, true},
		{"WARN", false, false, false},
		{"error, json", true, false, false},
	} {
		var buf bytes.Buffer
		log, err := newLogger(tc.setting, &buf)
		if err != nil {
			t.Fatalf("newLogger(%q): %v", tc.setting, err)
		}
		log.Debug("d")
		log.Info("i")
		log.Error("e")
		out := buf.String()
		if got := strings.Contains(out, `"msg":"e"`); got != tc.json {
			t.Errorf("%q: JSON = %v, want %v:\n%s", tc.setting, got, tc.json, out)
		}
		if got := strings.Contains(out, "DEBUG"); got != tc.debug {
			t.Errorf("%q: debug written = %v, want %v", tc.setting, got, tc.debug)
		}
		if got := strings.Contains(out, "INFO"); got != tc.inf {
			t.Errorf("%q: info written = %v, want %v", tc.setting, got, tc.inf)
		}
		if !strings.Contains(out, "ERROR") {
			t.Errorf("%q: no error written", tc.setting)
		}
	}
	code, _, stderr := runCLI(t, []string{"MAILBOT_LOG=loud"}, "sessions", "list")
	if code != 1 || !strings.Contains(stderr, "MAILBOT_LOG") {
		t.Errorf("MAILBOT_LOG=loud: exit %d, stderr %q; want 1 naming MAILBOT_LOG", code, stderr)
	}
}

func TestFitWidth(t *testing.T) {
	t.Parallel()
	long := "sent 1200, failed 3, not sent (left the list or bounced) 2, left 800; 0.5/s; to go: 26m40s"
	short := "sent 1200, failed 3, not sent 2, left 800; 0.5/s; 26m40s"
	for _, tc := range []struct {
		width int
		want  string
	}{
		{200, long},
		{len(long) + 1, long},
		{len(long), short},
		{80, short},
		{0, short}, // unknown: 80
		{40, short[:39]},
		{1, short[:1]},
	} {
		if got := fitWidth(tc.width, long, short); got != tc.want {
			t.Errorf("fitWidth(%d) = %q, want %q", tc.width, got, tc.want)
		}
	}
}

// TestTimeZoneWithoutZoneinfo: on a minimal machine with no time-zone
// files (/usr/share/zoneinfo empty, no Go installation), the binary still
// knows Europe/London, from the data embedded in it (time/tzdata). The
// machine is made minimal for the one command with a private mount of an
// empty folder over /usr/share/zoneinfo, which needs root and unshare.
func TestTimeZoneWithoutZoneinfo(t *testing.T) {
	t.Parallel()
	unshare, err := exec.LookPath("unshare")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and unshare to hide /usr/share/zoneinfo")
	}
	empty := t.TempDir()
	// Any command but version reads MAILBOT_TZ first; with no database
	// here, sessions list then stops, naming it.
	script := `mount --bind "$1" /usr/share/zoneinfo && ls /usr/share/zoneinfo | wc -l && cd "$1" && exec "$2" sessions list`
	cmd := exec.Command(unshare, "--mount", "sh", "-c", script, "sh", empty, binary)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GOROOT=/nonexistent", "MAILBOT_TZ=Europe/London"}
	out, err := cmd.CombinedOutput()
	if err != nil && strings.Contains(string(out), "mount") {
		t.Skipf("cannot hide /usr/share/zoneinfo here: %s", out)
	}
	if !strings.HasPrefix(string(out), "0\n") || !strings.Contains(string(out), "no database at") || strings.Contains(string(out), "time zone") {
		t.Errorf("sessions list with no zoneinfo: %v\n%s", err, out)
	}
}
