package mailbot

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailserver"
	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/betterdays/mailbot/mailbot/mailtest/realmail"
)

// The end-to-end tests run against the embedded mail server, each test on
// a server of its own; with MAILBOT_TEST_DOVECOT=1 they run instead
// against a real Dovecot and Postfix (package realmail), as go-imap's
// client tests run against Dovecot with GOIMAP_TEST_DOVECOT. Those play
// the embedded server: every address at any domain its own mailbox, and
// people logging in to send as themselves, so Postfix's filter stamps
// Authentication-Results proving them, as the embedded server stamps
// everyone proven.

// realServers is the shared Dovecot and Postfix with
// MAILBOT_TEST_DOVECOT=1, else nil; realTurn lets one test at a time use
// them, since every test's bot reads the same project address and
// people's addresses recur.
var (
	realServers *realmail.Servers
	realTurn    sync.Mutex
)

// runMailSystem runs the tests, starting Dovecot and Postfix first when
// MAILBOT_TEST_DOVECOT=1 asks for them; a machine without them then fails
// the run rather than skip, since the variable said to use them.
func runMailSystem(m *testing.M) int {
	// A child process run for one test that measures itself
	// (mailtest.Alone) does not use the real servers.
	if os.Getenv("MAILBOT_TEST_DOVECOT") != "1" || mailtest.InAloneChild() {
		return m.Run()
	}
	if reason := realmail.Requirements(); reason != "" {
		fmt.Fprintf(os.Stderr, "mailbot: MAILBOT_TEST_DOVECOT=1 but this machine %s\n", reason)
		return 1
	}
	rs, err := realmail.Start(realmail.Options{AnyAddress: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "mailbot: MAILBOT_TEST_DOVECOT=1:", err)
		return 1
	}
	defer func() {
		if err := rs.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "mailbot:", err)
		}
	}()
	realServers = rs
	return m.Run()
}

// mailSystem is the mail system under test as people and the bot reach it.
type mailSystem struct {
	client mailtest.Client // a person's mail program
	smtp   string          // where mail is handed in without logging in
	// submit, when set, is where people log in as themselves to send.
	submit string
	imap   string
	// real is the real servers, nil for the embedded one.
	real *realmail.Servers
	// env is the bot's settings for reaching the system.
	env map[string]string
}

// embedded is the embedded server ms as the mail system: it takes mail
// without a login and any password, and delivers before it answers 250.
func embedded(ms *mailserver.Server) *mailSystem {
	return &mailSystem{smtp: ms.SMTPAddr(), imap: ms.IMAPAddr(), env: map[string]string{
		"MAILBOT_IMAP": "imap://" + botAddress + "@" + ms.IMAPAddr(),
		"MAILBOT_SMTP": "smtp://" + ms.SMTPAddr(),
	}}
}

// startMailSystem gives the test a mail system with every mailbox empty:
// an embedded server of its own, or with MAILBOT_TEST_DOVECOT=1 the real
// servers, emptied, for as long as the test runs.
func startMailSystem(t *testing.T) *mailSystem {
	t.Helper()
	if realServers == nil {
		return embedded(startMailServer(t))
	}
	realTurn.Lock()
	t.Cleanup(realTurn.Unlock)
	// Registered after the unlock, so it runs while the test still has
	// the servers: their logs for a failure.
	t.Cleanup(func() {
		if t.Failed() {
			t.Log("Dovecot and Postfix logs:\n" + realServers.Logs())
		}
	})
	// Whatever the test before left behind goes.
	if err := realServers.Empty(); err != nil {
		t.Fatal(err)
	}
	// The bot sends as it would through an organisation's submission
	// port: logged in, after STARTTLS, trusting the servers' certificate
	// (realmail.Start set SSL_CERT_FILE); it trusts the filter's
	// Authentication-Results as an operator names their own server's.
	return &mailSystem{client: realServers.Client(), smtp: realServers.SMTPAddr, submit: realServers.SubmitAddr,
		imap: realServers.IMAPAddr, real: realServers, env: map[string]string{
			"MAILBOT_IMAP":          "imap://" + botAddress + "@" + realServers.IMAPAddr,
			"MAILBOT_IMAP_PASSWORD": realmail.Password,
			"MAILBOT_SMTP":          "smtp://" + botAddress + "@" + realServers.SubmitAddr,
			"MAILBOT_SMTP_PASSWORD": realmail.Password,
			"MAILBOT_AUTHSERV_ID":   realmail.AuthservID,
		}}
}

// skipReal skips the test against real servers, saying why.
func skipReal(t *testing.T, why string) {
	t.Helper()
	if realServers != nil {
		t.Skip("MAILBOT_TEST_DOVECOT=1: " + why)
	}
}

// IMAPAddr is where mailboxes are read.
func (m *mailSystem) IMAPAddr() string { return m.imap }

// Send hands raw in for to as from's mail program does, from "" being the
// null sender, which logs in as nobody.
func (m *mailSystem) Send(t testing.TB, from, to, raw string) {
	t.Helper()
	if m.submit != "" && from != "" {
		m.client.Send(t, m.submit, from, from, to, raw)
		return
	}
	m.client.Send(t, m.smtp, "", from, to, raw)
}

// Delivered waits until everything the system took is in its mailbox.
func (m *mailSystem) Delivered(t testing.TB) {
	t.Helper()
	if m.real != nil {
		if err := m.real.Drain(); err != nil {
			t.Fatal(err)
		}
	}
}

// Mailbox is every message in who's INBOX, flagging none.
func (m *mailSystem) Mailbox(t testing.TB, who string) []mailtest.Message {
	t.Helper()
	return m.client.Mailbox(t, m.imap, who)
}

// WaitForMail waits until who's INBOX holds n messages and returns them.
func (m *mailSystem) WaitForMail(t testing.TB, who string, n int) []mailtest.Message {
	t.Helper()
	return m.client.WaitForMail(t, m.imap, who, n)
}

// Unsee clears \Seen on every message in who's INBOX.
func (m *mailSystem) Unsee(t testing.TB, who string) {
	t.Helper()
	m.client.Unsee(t, m.imap, who)
}

// config is the operator's configuration for a bot reading and sending
// through m, with a database in dir.
func (m *mailSystem) config(t *testing.T, dir string, extra map[string]string) Config {
	t.Helper()
	env := map[string]string{
		"MAILBOT_DB":      filepath.Join(dir, "mailbot.db"),
		"MAILBOT_ADDRESS": botAddress,
		"MAILBOT_HTTP":    "127.0.0.1:0",
		"MAILBOT_POLL":    "3s",
	}
	for _, add := range []map[string]string{m.env, extra} {
		for k, v := range add {
			env[k] = v
		}
	}
	cfg, err := FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.RetryBase = 20 * time.Millisecond
	return cfg
}
