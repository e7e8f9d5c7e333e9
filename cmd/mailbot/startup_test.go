package main

import (
	"bytes"
	"errors"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-smtp"
)

// The embedded server lets anyone in with any password, so these tests
// stand up servers that check one: go-imap's reference in-memory server
// and a go-smtp server taking AUTH PLAIN, both on loopback, where the bot
// allows a password without TLS.
const (
	botUser      = "betterdays@localhost"
	goodPassword = "correct horse"
	badPassword  = "Tr0ub4dor&3"
)

// startPasswordIMAP serves one mailbox, botUser's, behind goodPassword.
func startPasswordIMAP(t *testing.T) string {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(botUser, goodPassword)
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	return serve(t, srv.Serve, srv.Close)
}

// startPasswordSMTP takes mail only after AUTH PLAIN with goodPassword.
func startPasswordSMTP(t *testing.T) string {
	t.Helper()
	return mailtest.NewSMTPServer(t, mailtest.SMTPConfig{
		Domain:      "mail.test",
		RequireAuth: true,
		Password: func(user, pass string) error {
			if user != botUser || pass != goodPassword {
				// What Postfix with Dovecot SASL answers (RFC 4954 section 6).
				return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Error: authentication failed"}
			}
			return nil
		},
	}).Addr
}

// serve runs a server on a loopback port of the system's choosing until
// the test ends.
func serve(t *testing.T, run func(net.Listener) error, stop func() error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); run(ln) }()
	t.Cleanup(func() { stop(); ln.Close(); <-done })
	return ln.Addr().String()
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// notMail is a loopback port where something else answers: here, what an
// SSH server says first, as when a port number is mistyped.
func notMail(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"))
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// TestRunRefusesBadServers starts the real binary as an operator would,
// with one thing wrong, and expects it to stop at once: exit status 1, one
// line on standard error that says what is wrong and which variable to
// fix, no secret in it, and no database made.
func TestRunRefusesBadServers(t *testing.T) {
	imapAddr, smtpAddr := startPasswordIMAP(t), startPasswordSMTP(t)
	good := map[string]string{
		"MAILBOT_IMAP":          "imap://" + botUser + "@" + imapAddr,
		"MAILBOT_IMAP_PASSWORD": goodPassword,
		"MAILBOT_SMTP":          "smtp://" + botUser + "@" + smtpAddr,
		"MAILBOT_SMTP_PASSWORD": goodPassword,
	}
	// A port someone else has.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	taken := busy.Addr().String()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string // in the one line, in this order
	}{
		{"wrong IMAP password", map[string]string{"MAILBOT_IMAP_PASSWORD": badPassword},
			[]string{"IMAP " + imapAddr, "log in as " + botUser, "MAILBOT_IMAP_PASSWORD"}},
		{"wrong SMTP password", map[string]string{"MAILBOT_SMTP_PASSWORD": badPassword},
			[]string{"SMTP " + smtpAddr, "log in as " + botUser, "535", "MAILBOT_SMTP_PASSWORD"}},
		// --once would otherwise read the inbox, then leave every reply
		// queued and exit 0.
		{"wrong SMTP password, once", map[string]string{"MAILBOT_SMTP_PASSWORD": badPassword},
			[]string{"SMTP " + smtpAddr, "log in as " + botUser, "535", "MAILBOT_SMTP_PASSWORD"}},
		{"no SMTP password", map[string]string{"MAILBOT_SMTP_PASSWORD": ""},
			[]string{"SMTP " + smtpAddr, "log in as " + botUser, "MAILBOT_SMTP_PASSWORD"}},
		{"IMAP port closed", map[string]string{"MAILBOT_IMAP": "imap://" + botUser + "@" + closedPort(t)},
			[]string{"connect to IMAP server", "connection refused", "check MAILBOT_IMAP)"}},
		{"SMTP port closed", map[string]string{"MAILBOT_SMTP": "smtp://" + botUser + "@" + closedPort(t)},
			[]string{"connect to SMTP server", "connection refused", "check MAILBOT_SMTP)"}},
		{"both wrong", map[string]string{"MAILBOT_IMAP_PASSWORD": badPassword, "MAILBOT_SMTP": "smtp://" + botUser + "@" + closedPort(t)},
			[]string{"MAILBOT_IMAP_PASSWORD", "; ", "connect to SMTP server"}},
		{"IMAP port is not a mail server", map[string]string{"MAILBOT_IMAP": "imap://" + botUser + "@" + notMail(t)},
			[]string{"IMAP " + "127.0.0.1:", "greeting", "check MAILBOT_IMAP)"}},
		{"IMAP URL names the SMTP port", map[string]string{"MAILBOT_IMAP": "imap://" + botUser + "@" + smtpAddr},
			[]string{"IMAP " + smtpAddr, "greeting", "check MAILBOT_IMAP)"}},
		{"SMTP URL names the IMAP port", map[string]string{"MAILBOT_SMTP": "smtp://" + botUser + "@" + imapAddr},
			[]string{"SMTP " + imapAddr, "hello", "check MAILBOT_SMTP)"}},
		{"imaps to a plain port", map[string]string{"MAILBOT_IMAP": "imaps://" + botUser + "@" + imapAddr},
			[]string{"connect to IMAP server " + imapAddr, "check MAILBOT_IMAP)"}},
		{"malformed IMAP URL", map[string]string{"MAILBOT_IMAP": "imap://" + botUser + "@[127.0.0.1"},
			[]string{"MAILBOT_IMAP", "not a URL"}},
		{"SMTP URL of the wrong kind", map[string]string{"MAILBOT_SMTP": "https://" + smtpAddr},
			[]string{"MAILBOT_SMTP", `scheme "https"`}},
		{"bad base URL", map[string]string{"MAILBOT_BASE_URL": "127.0.0.1:8080/list"},
			[]string{"MAILBOT_BASE_URL", "http://"}},
		{"web port taken", map[string]string{"MAILBOT_HTTP": taken},
			[]string{"MAILBOT_HTTP", "address already in use"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			env := []string{"PATH=" + os.Getenv("PATH"), "MAILBOT_HTTP=127.0.0.1:0", "MAILBOT_DB=" + filepath.Join(dir, "mailbot.db")}
			for k, v := range good {
				if w, ok := tc.env[k]; ok {
					v = w
				}
				env = append(env, k+"="+v)
			}
			for k, v := range tc.env {
				if _, ok := good[k]; !ok {
					env = append(env, k+"="+v)
				}
			}
			args := []string{"run"}
			if strings.HasSuffix(tc.name, ", once") {
				args = append(args, "--once")
			}
			code, stderr := runBinary(t, env, 30*time.Second, args...)
			if code != 1 {
				t.Fatalf("exit status %d, want 1; stderr:\n%s", code, stderr)
			}
			t.Logf("stderr: %s", stderr)
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "mailbot") {
				t.Fatalf("stderr is %d lines, want one line saying what is wrong:\n%s", len(lines), stderr)
			}
			rest := lines[0]
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("stderr lacks %q (in this order: %q):\n%s", w, tc.want, stderr)
				}
				rest = rest[i+len(w):]
			}
			for _, secret := range []string{goodPassword, badPassword} {
				if strings.Contains(stderr, secret) {
					t.Errorf("stderr shows a password:\n%s", stderr)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "mailbot.db")); err == nil {
				t.Errorf("a database was made although the bot could not start")
			}
		})
	}

	// With everything right it starts, and stops cleanly on SIGTERM.
	t.Run("all right", func(t *testing.T) {
		env := []string{"PATH=" + os.Getenv("PATH"), "MAILBOT_HTTP=127.0.0.1:0", "MAILBOT_DB=" + filepath.Join(t.TempDir(), "mailbot.db")}
		for k, v := range good {
			env = append(env, k+"="+v)
		}
		cmd := exec.Command(binary, "run")
		cmd.Env = env
		var stderr lockedBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(stderr.String(), "inbox connected") {
			if time.Now().After(deadline) {
				t.Fatalf("not connected within 20s; stderr:\n%s", stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		if err := waitTimeout(cmd, 15*time.Second); err != nil {
			t.Fatalf("after SIGTERM: %v; stderr:\n%s", err, stderr.String())
		}
		if s := stderr.String(); strings.Contains(s, "level=ERROR") || strings.Contains(s, goodPassword) {
			t.Errorf("errors or the password logged:\n%s", s)
		}
	})
}

// runBinary runs the built mailbot with env and returns its exit status
// and standard error, failing the test if it is still running after
// limit: a bot that cannot work must not sit retrying.
func runBinary(t *testing.T, env []string, limit time.Duration, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	err := waitTimeout(cmd, limit)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stderr.String()
	default:
		t.Fatalf("%v; stderr:\n%s", err, stderr.String())
		return 0, ""
	}
}

// waitTimeout waits for cmd, killing it after limit.
func waitTimeout(cmd *exec.Cmd, limit time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		return errors.New("still running after " + limit.String())
	}
}

// lockedBuffer is a bytes.Buffer that a child's output and the test may
// use at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
