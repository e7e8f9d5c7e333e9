package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailtest"
)

// embeddedBot is `mailbot run` on its own mail server, started by
// startEmbedded.
type embeddedBot struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	banner string
}

// startEmbedded runs the binary with env (PATH is added) and waits for
// its try-it banner.
func startEmbedded(t *testing.T, dir string, env ...string) *embeddedBot {
	t.Helper()
	cmd := exec.Command(binary, "run")
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	b := &embeddedBot{cmd: cmd, stderr: &lockedBuffer{}}
	cmd.Stderr = b.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("the bot's log:\n%s", b.stderr.String())
		}
	})
	banner := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		var s strings.Builder
		for {
			line, err := r.ReadString('\n')
			s.WriteString(line)
			if strings.Contains(line, "curl -sS 'imap://") || err != nil {
				banner <- s.String()
				io.Copy(io.Discard, r)
				return
			}
		}
	}()
	select {
	case b.banner = <-banner:
	case <-time.After(20 * time.Second):
		t.Fatalf("no banner within 20s; stderr:\n%s", b.stderr.String())
	}
	return b
}

// stop sends SIGTERM and waits for a clean exit.
func (b *embeddedBot) stop(t *testing.T) {
	t.Helper()
	b.cmd.Process.Signal(syscall.SIGTERM)
	if err := waitTimeout(b.cmd, 15*time.Second); err != nil {
		t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, b.stderr.String())
	}
	if !strings.Contains(b.stderr.String(), "stopped cleanly") {
		t.Errorf("no clean stop logged:\n%s", b.stderr.String())
	}
}

// TestEmbeddedRestartAnswersFirstMessage: the try-it bot stopped and
// started again on the same database answers the first letter after the
// restart. Its mailboxes begin again at UID 1, so it must come back with
// a new UIDVALIDITY; under the old one the database's mark (UID 1 handled)
// swallowed the new UID 1 unanswered. It also runs on ports of its own
// choosing (MAILBOT_EMBEDDED_SMTP, _IMAP), so it can run beside another.
func TestEmbeddedRestartAnswersFirstMessage(t *testing.T) {
	dir := t.TempDir()
	smtpAddr, imapAddr := closedPort(t), closedPort(t)
	env := []string{
		"MAILBOT_HTTP=127.0.0.1:0",
		"MAILBOT_DB=" + filepath.Join(dir, "mailbot.db"),
		"MAILBOT_EMBEDDED_SMTP=" + smtpAddr,
		"MAILBOT_EMBEDDED_IMAP=" + imapAddr,
	}
	for i, who := range []string{"pat@example.org", "sam@example.org"} {
		b := startEmbedded(t, dir, env...)
		if !strings.Contains(b.banner, "SMTP "+smtpAddr) || !strings.Contains(b.banner, "imap://"+imapAddr) {
			t.Fatalf("start %d: banner does not name the ports set:\n%s", i+1, b.banner)
		}
		mailtest.Send(t, smtpAddr, who, "betterdays@localhost", "From: "+who+"\r\nSubject: help\r\nMessage-ID: <"+who+">\r\n\r\nhelp\r\n")
		got := mailtest.WaitForMail(t, imapAddr, who, 1)
		if !bytes.Contains(got[0].Raw, []byte("Hello")) {
			t.Fatalf("start %d: reply to %s is not the help text:\n%s", i+1, who, got[0].Raw)
		}
		b.stop(t)
	}
}

// TestBackupWhileRunning copies the database of a running bot with
// `mailbot backup`, and the copy holds what the bot had written.
func TestBackupWhileRunning(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "mailbot.db")
	env := []string{"MAILBOT_HTTP=127.0.0.1:0", "MAILBOT_DB=" + db,
		"MAILBOT_EMBEDDED_SMTP=" + closedPort(t), "MAILBOT_EMBEDDED_IMAP=" + closedPort(t)}
	b := startEmbedded(t, dir, env...)
	copyPath := filepath.Join(dir, "copy.db")
	code, stdout, stderr := runCLIIn(t, dir, []string{"MAILBOT_DB=" + db}, "backup", copyPath)
	if code != 0 || !strings.Contains(stdout, "checked sound") {
		t.Fatalf("backup: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLIIn(t, dir, []string{"MAILBOT_DB=" + copyPath}, "sessions", "list")
	if code != 0 || !strings.Contains(stdout, "Promoting independence") {
		t.Errorf("sessions list of the copy: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, stderr = runCLIIn(t, dir, []string{"MAILBOT_DB=" + db}, "backup", copyPath); code != 1 || !strings.Contains(stderr, "exists") {
		t.Errorf("backup over the copy: exit %d, %q; want 1, refused", code, stderr)
	}
	b.stop(t)
}
