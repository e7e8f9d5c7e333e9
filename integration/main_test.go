//go:build integration

package integration

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot"
	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/betterdays/mailbot/mailbot/mailtest/realmail"
)

// srv is the one Dovecot + Postfix pair every test shares; nil, with
// skipReason set, when this machine cannot run them.
var (
	srv        *servers
	skipReason string
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	required := os.Getenv("MAILBOT_INTEGRATION_REQUIRED") == "1"
	if reason := realmail.Requirements(); reason != "" {
		if required {
			fmt.Fprintf(os.Stderr, "integration: MAILBOT_INTEGRATION_REQUIRED=1 but this machine %s\n", reason)
			return 1
		}
		skipReason = "integration tests skipped: this machine " + reason
		return m.Run()
	}
	start := time.Now()
	rs, err := realmail.Start(realmail.Options{Users: people, Keep: os.Getenv("MAILBOT_INTEGRATION_KEEP") == "1"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	// Stopped whatever the tests do; a panic kills the test binary, and
	// then each server's watchdog stops it instead.
	defer func() {
		if err := rs.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "integration:", err)
		}
	}()
	s := &servers{rs}
	if testing.Verbose() {
		fmt.Printf("integration: Dovecot (IMAP %s, LMTP %s) and Postfix (SMTP %s) up in %v, in %s\n",
			s.IMAPAddr, s.LMTPAddr, s.SMTPAddr, time.Since(start).Round(time.Millisecond), s.Dir)
	}
	srv = s
	return m.Run()
}

// needServers returns the shared servers, or skips the test when this
// machine cannot run them. A failing test gets the servers' logs.
func needServers(t *testing.T) *servers {
	t.Helper()
	if srv == nil {
		t.Skip(skipReason)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log("server logs:\n" + srv.Logs())
		}
	})
	return srv
}

// startBot runs the whole bot, as `mailbot run` does, against the servers:
// IMAP with STARTTLS and a password, SMTP through Postfix, a new database.
// The bot's INBOX is emptied first, so each test's bot sees only its own
// mail. extra adds or overrides MAILBOT_* variables. The bot stops when the
// test ends.
func startBot(t *testing.T, s *servers, extra map[string]string) *mailbot.Service {
	t.Helper()
	s.clearMailbox(t, botAddress)
	env := map[string]string{
		"MAILBOT_DB":      filepath.Join(t.TempDir(), "mailbot.db"),
		"MAILBOT_ADDRESS": botAddress,
		// The user name is the whole address: url.Parse splits userinfo
		// from host at the last '@'.
		"MAILBOT_IMAP":          "imap://" + botAddress + "@" + s.IMAPAddr,
		"MAILBOT_IMAP_PASSWORD": realmail.Password,
		"MAILBOT_SMTP":          "smtp://" + s.SMTPAddr,
		"MAILBOT_HTTP":          "127.0.0.1:0",
		"MAILBOT_POLL":          "5s",
		// Whose Authentication-Results to trust: the test Postfix's, as
		// an operator names their own server's (milter.go).
		"MAILBOT_AUTHSERV_ID": realmail.AuthservID,
	}
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := mailbot.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.RetryBase = 100 * time.Millisecond
	log := testLogger(t)
	svc, err := mailbot.NewService(context.Background(), cfg, mailbot.SystemClock, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx, nil) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("bot Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("bot did not stop within 10s")
		}
		svc.Close()
	})
	deadline := time.Now().Add(waitTimeout)
	for !svc.Inbox.Status().Connected {
		if time.Now().After(deadline) {
			t.Fatalf("bot's inbox not connected to Dovecot after %v", waitTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return svc
}

// testLogger sends the bot's log to the test's log, shown on failure or
// with -v, and drops whatever is logged after the test ends.
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() { w.mu.Lock(); w.done = true; w.mu.Unlock() })
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// waitFor polls cond until it holds, failing the test after waitTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	mailtest.Wait(t, waitTimeout, what, cond)
}

// outcome waits until the bot has recorded the message with Message-ID id
// and returns what it did with it.
func outcome(t *testing.T, bot *mailbot.Service, id string) string {
	t.Helper()
	var got string
	waitFor(t, "the bot to record message "+id, func() bool {
		var err error
		got, err = bot.Store.InboundOutcome(context.Background(), id)
		return err == nil
	})
	return got
}

// outbox lists every message the bot has queued, as "kind → rcpt (status)",
// read straight from its database: what the bot will ever send.
func outbox(t *testing.T, bot *mailbot.Service) []string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+bot.Config.DB+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT kind, rcpt, status FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var kind, rcpt, status string
		if err := rows.Scan(&kind, &rcpt, &status); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s → %s (%s)", kind, rcpt, status))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
