package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/betterdays/mailbot/mailbot"
	"github.com/betterdays/mailbot/mailbot/mailserver"
	"github.com/betterdays/mailbot/mailbot/mailtest"
)

var binary string

func TestMain(m *testing.M) {
	dir, keep := binaryDir()
	binary = filepath.Join(dir, "mailbot")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	// After the binary is built: /dev/shm may not allow programs to run.
	mailtest.TempInMemory()
	code := m.Run()
	if !keep {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// binaryDir is where the binary is built: a folder in the user's cache
// for this checkout, kept, so that the next run's go build finds it up to
// date and does not link it again (about 1.5 s of CPU a run), or failing
// that a temporary folder, removed after the run.
func binaryDir() (dir string, keep bool) {
	cache, err := os.UserCacheDir()
	wd, err2 := os.Getwd()
	if err == nil && err2 == nil {
		sum := sha256.Sum256([]byte(wd))
		dir = filepath.Join(cache, "mailbot-test", hex.EncodeToString(sum[:8]))
		if os.MkdirAll(dir, 0o755) == nil {
			return dir, true
		}
	}
	dir, err = os.MkdirTemp("", "mailbot-bin")
	if err != nil {
		panic(err)
	}
	return dir, false
}

// TestRunEmbedded is the README's first command as a person runs it: the
// binary with no configuration starts its own mail server on the contract's
// ports, answers a message, and stops cleanly on SIGTERM.
func TestRunEmbedded(t *testing.T) {
	b := startEmbedded(t, t.TempDir(), "MAILBOT_HTTP=127.0.0.1:0")
	for _, want := range []string{"SMTP " + mailbot.EmbeddedSMTP, "IMAP " + mailbot.EmbeddedIMAP, "betterdays@localhost", "curl"} {
		if !strings.Contains(b.banner, want) {
			t.Fatalf("banner lacks %q (are the ports in use by another mailbot?):\n%s\nstderr:\n%s", want, b.banner, b.stderr.String())
		}
	}

	mailtest.Send(t, mailbot.EmbeddedSMTP, "pat@example.org", "betterdays@localhost", "From: Pat <pat@example.org>\r\nSubject: help\r\nMessage-ID: <pat1@example.org>\r\n\r\nhelp\r\n")
	got := mailtest.WaitForMail(t, mailbot.EmbeddedIMAP, "pat@example.org", 1)
	if !bytes.Contains(got[0].Raw, []byte("Hello Pat,")) {
		t.Fatalf("reply does not greet Pat:\n%s\nstderr:\n%s", got[0].Raw, b.stderr.String())
	}
	b.stop(t)
	if strings.Contains(b.stderr.String(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", b.stderr.String())
	}
}

// TestRunOnce answers every waiting message from a real server, then
// exits 0; a second run answers nothing more.
func TestRunOnce(t *testing.T) {
	t.Parallel()
	ms, err := mailserver.Start(mailserver.Options{SMTPAddr: "127.0.0.1:0", IMAPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	for _, who := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		mailtest.Send(t, ms.SMTPAddr(), who, "betterdays@localhost", "From: "+who+"\r\nSubject: help\r\nMessage-ID: <"+who+">\r\n\r\nhelp\r\n")
	}
	env := map[string]string{
		"MAILBOT_DB":   filepath.Join(t.TempDir(), "mailbot.db"),
		"MAILBOT_IMAP": "imap://betterdays@localhost@" + ms.IMAPAddr(),
		"MAILBOT_SMTP": "smtp://" + ms.SMTPAddr(),
	}
	for i := range 2 {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"run", "--once"}, func(k string) string { return env[k] }, &stdout, &stderr); code != 0 {
			t.Fatalf("run %d: exit %d; stderr:\n%s", i+1, code, stderr.String())
		}
	}
	for _, who := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		if n := len(mailtest.Mailbox(t, ms.IMAPAddr(), who)); n != 1 {
			t.Errorf("%s has %d replies after two runs, want 1", who, n)
		}
	}
}

// TestBadConfiguration exits non-zero naming the variable at fault.
func TestBadConfiguration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"MAILBOT_IMAP": "imaps://u@h"}, "MAILBOT_SMTP"},
		{map[string]string{"MAILBOT_TZ": "Mars/Olympus"}, "MAILBOT_TZ"},
		{map[string]string{"MAILBOT_IMAP": "imaps://u:secret@h", "MAILBOT_SMTP": "smtps://u@h"}, "_PASSWORD"},
	} {
		var stdout, stderr bytes.Buffer
		code := run([]string{"sessions", "list"}, func(k string) string { return tc.env[k] }, &stdout, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("env %v: exit %d, stderr %q; want non-zero naming %s", tc.env, code, stderr.String(), tc.want)
		}
		if strings.Contains(stderr.String(), "secret") {
			t.Errorf("env %v: the password appears in the error: %q", tc.env, stderr.String())
		}
	}
}
