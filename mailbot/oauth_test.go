package mailbot

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The OAuth tests log in through the real dialIMAP and SMTP sender, with a
// real token command run by /bin/sh, against in-process go-imap and go-smtp
// servers that take nothing but OAUTHBEARER or XOAUTH2 and check the token.

const oauthUser = "betterdays@council.example"

// tokenScript writes a token command that prints tokens[0] on its first
// run, tokens[1] on its second, and the last one ever after. runs counts
// how often it ran.
func tokenScript(t *testing.T, tokens ...string) (cmd string, runs func() int) {
	t.Helper()
	dir := t.TempDir()
	for i, tok := range tokens {
		if err := os.WriteFile(filepath.Join(dir, "tok."+strconv.Itoa(i+1)), []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	script := fmt.Sprintf(`#!/bin/sh
d='%s'
n=$(cat "$d/runs" 2>/dev/null || echo 0)
n=$((n + 1))
echo $n >"$d/runs"
f="$d/tok.$n"
[ -f "$f" ] || f="$d/tok.%d"
cat "$f"
`, dir, len(tokens))
	path := filepath.Join(dir, "token.sh")
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return path, func() int {
		b, err := os.ReadFile(filepath.Join(dir, "runs"))
		if err != nil {
			return 0
		}
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return n
	}
}

// oauthCheck is what a test server knows of tokens: which one it takes,
// which mechanisms it offers, and every attempt it saw.
type oauthCheck struct {
	valid string   // the one token accepted; "" accepts none
	mechs []string // offered, in order

	mu        sync.Mutex
	tries     []string // "MECH token" per SASL exchange that reached the token
	passwords int      // LOGIN or AUTH PLAIN attempts
}

func (o *oauthCheck) try(mech, user, token string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tries = append(o.tries, mech+" "+token)
	return user == oauthUser && o.valid != "" && token == o.valid
}

func (o *oauthCheck) Tries() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.tries...)
}

func (o *oauthCheck) Passwords() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.passwords
}

// server returns a SASL server for mech that refuses a bad token as real
// servers do: an RFC 7628 error challenge, then refuse once the client has
// answered it. ok runs when the token is taken.
func (o *oauthCheck) server(mech string, refuse error, ok func()) (sasl.Server, error) {
	switch mech {
	case sasl.OAuthBearer:
		// go-sasl's server is an independent check of our encoding.
		return &refusingServer{
			Server: sasl.NewOAuthBearerServer(func(opts sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
				if !o.try(mech, opts.Username, opts.Token) || opts.Host != "127.0.0.1" || opts.Port == 0 {
					return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer", Scope: "https://mail.example/.default"}
				}
				return nil
			}),
			refuse: refuse, ok: ok,
		}, nil
	case mechXOAuth2:
		return &refusingServer{Server: &xoauth2Server{o: o}, refuse: refuse, ok: ok}, nil
	}
	return nil, fmt.Errorf("mechanism %s not offered", mech)
}

// refusingServer turns the end of a refused exchange into the protocol's
// own refusal (NO [AUTHENTICATIONFAILED], 535 5.7.8) and tells the session
// when it succeeded.
type refusingServer struct {
	sasl.Server
	refuse error
	ok     func()
}

func (s *refusingServer) Next(resp []byte) ([]byte, bool, error) {
	challenge, done, err := s.Server.Next(resp)
	switch {
	case done && err == nil:
		s.ok()
	case err != nil:
		var oe *sasl.OAuthBearerError
		if errors.As(err, &oe) || errors.Is(err, errXOAuth2Refused) {
			err = s.refuse
		}
	}
	return challenge, done, err
}

var errXOAuth2Refused = errors.New("xoauth2: refused")

// xoauth2Server is the server side of XOAUTH2 as Google documents it
// (https://developers.google.com/gmail/imap/xoauth2-protocol): the
// initial response "user=U^Aauth=Bearer T^A^A"; a bad token gets a JSON
// challenge, and whatever the client answers, the refusal.
type xoauth2Server struct {
	o       *oauthCheck
	refused bool
}

func (s *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if s.refused {
		return nil, true, errXOAuth2Refused
	}
	if resp == nil {
		return []byte{}, false, nil
	}
	fields := strings.Split(string(resp), "\x01")
	if len(fields) != 4 || fields[2] != "" || fields[3] != "" ||
		!strings.HasPrefix(fields[0], "user=") || !strings.HasPrefix(fields[1], "auth=Bearer ") {
		return nil, true, fmt.Errorf("malformed XOAUTH2 response")
	}
	user, token := strings.TrimPrefix(fields[0], "user="), strings.TrimPrefix(fields[1], "auth=Bearer ")
	if s.o.try(mechXOAuth2, user, token) {
		return nil, true, nil
	}
	s.refused = true
	return []byte(`{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}`), false, nil
}

// startOAuthIMAP starts an IMAP server on 127.0.0.1 whose one mailbox,
// oauthUser's, opens only with o's token. Its INBOX is returned for the
// test to put mail in.
func startOAuthIMAP(t *testing.T, o *oauthCheck) (addr string, user *imapmemserver.User) {
	t.Helper()
	user = imapmemserver.NewUser(oauthUser, "")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &oauthIMAPSession{o: o, user: user}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}, imap.CapMove: {}, imap.CapNamespace: {}},
		InsecureAuth: true, // loopback, as the bot allows
		Logger:       log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		ln.Close() // Close does not see a listener Serve has not registered yet
		<-done
	})
	return ln.Addr().String(), user
}

// oauthIMAPSession refuses LOGIN; AUTHENTICATE with the right token opens
// the mailbox.
type oauthIMAPSession struct {
	*imapmemserver.UserSession
	o    *oauthCheck
	user *imapmemserver.User
}

var _ imapserver.SessionSASL = (*oauthIMAPSession)(nil)

func (s *oauthIMAPSession) Login(string, string) error {
	s.o.mu.Lock()
	s.o.passwords++
	s.o.mu.Unlock()
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "Basic authentication is disabled"}
}

func (s *oauthIMAPSession) AuthenticateMechanisms() []string { return s.o.mechs }

func (s *oauthIMAPSession) Authenticate(mech string) (sasl.Server, error) {
	if mech == sasl.Plain {
		return sasl.NewPlainServer(func(_, user, pass string) error { return s.Login(user, pass) }), nil
	}
	refuse := &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "Invalid credentials (Failure)"}
	return s.o.server(mech, refuse, func() { s.UserSession = imapmemserver.NewUserSession(s.user) })
}

// startOAuthSMTP starts a recording SMTP server on 127.0.0.1 that takes
// mail only after AUTH with o's token.
func startOAuthSMTP(t *testing.T, o *oauthCheck, opts ...func(*mailtest.SMTPConfig)) *mailtest.SMTPServer {
	t.Helper()
	cfg := mailtest.SMTPConfig{
		Domain:      "oauth.test",
		Mechanisms:  o.mechs,
		RequireAuth: true,
		Auth: func(mech string, authed func()) (sasl.Server, error) {
			if mech == sasl.Plain {
				o.mu.Lock()
				o.passwords++
				o.mu.Unlock()
				return nil, &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 139}, Message: "Basic authentication is disabled"}
			}
			refuse := &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Username and Password not accepted"}
			return o.server(mech, refuse, authed)
		},
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	return mailtest.NewSMTPServer(t, cfg)
}

// oauthEnv is the operator's configuration for the bot against imapAddr
// and smtpAddr, logging in with the token commands.
func oauthEnv(t *testing.T, imapAddr, smtpAddr, imapCmd, smtpCmd string) Config {
	t.Helper()
	env := map[string]string{
		"MAILBOT_DB":             filepath.Join(t.TempDir(), "mailbot.db"),
		"MAILBOT_ADDRESS":        oauthUser,
		"MAILBOT_IMAP":           "imap://" + oauthUser + "@" + imapAddr,
		"MAILBOT_SMTP":           "smtp://" + oauthUser + "@" + smtpAddr,
		"MAILBOT_IMAP_TOKEN_CMD": imapCmd,
		"MAILBOT_SMTP_TOKEN_CMD": smtpCmd,
		"MAILBOT_HTTP":           "127.0.0.1:0",
	}
	cfg, err := FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// checkNoSecret fails the test if text holds any of tokens, plain or as
// base64 (a SASL response quoted whole).
func checkNoSecret(t *testing.T, what, text string, tokens ...string) {
	t.Helper()
	for _, tok := range tokens {
		for _, form := range []string{tok, base64.StdEncoding.EncodeToString([]byte(tok))} {
			if strings.Contains(text, form) {
				t.Errorf("%s contains the token %q:\n%s", what, tok, text)
			}
		}
	}
}

var oauthMechCases = []struct {
	name   string
	offers []string
	want   string
}{
	{"both offered", []string{mechXOAuth2, sasl.OAuthBearer}, sasl.OAuthBearer},
	{"XOAUTH2 only", []string{mechXOAuth2}, mechXOAuth2},
	{"OAUTHBEARER only", []string{sasl.OAuthBearer}, sasl.OAuthBearer},
}

// The server refuses the first token; the bot runs the command again and
// logs in with the second. The next connection uses the cached token.
func TestOAuthIMAPRefreshesRefusedToken(t *testing.T) {
	t.Parallel()
	const stale, fresh = "tok-stale-1111", "tok-fresh-2222"
	for _, tt := range oauthMechCases {
		t.Run(tt.name, func(t *testing.T) {
			o := &oauthCheck{valid: fresh, mechs: tt.offers}
			addr, user := startOAuthIMAP(t, o)
			if _, err := user.Append("INBOX", bytes.NewReader([]byte(message("mary@example.org", "hello", "m1@example.org", "hello"))), &imap.AppendOptions{}); err != nil {
				t.Fatal(err)
			}
			cmd, runs := tokenScript(t, stale, fresh)
			cfg := oauthEnv(t, addr, addr, cmd, cmd)
			ctx := context.Background()

			c, err := dialIMAP(ctx, cfg.IMAP, imapclient.Options{})
			if err != nil {
				t.Fatalf("dialIMAP() error = %v, want nil", err)
			}
			sel, err := c.Select("INBOX", nil).Wait()
			c.Close()
			if err != nil || sel.NumMessages != 1 {
				t.Fatalf("Select(INBOX) = %v, %v; want 1 message", sel, err)
			}
			if got, want := runs(), 2; got != want {
				t.Errorf("token command ran %d times, want %d", got, want)
			}
			want := []string{tt.want + " " + stale, tt.want + " " + fresh}
			if got := o.Tries(); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("server saw %q, want %q", got, want)
			}

			c, err = dialIMAP(ctx, cfg.IMAP, imapclient.Options{})
			if err != nil {
				t.Fatalf("second dialIMAP() error = %v, want nil", err)
			}
			c.Close()
			if got, want := runs(), 2; got != want {
				t.Errorf("after a second login the token command ran %d times, want %d (the token cached)", got, want)
			}
			if got, want := len(o.Tries()), 3; got != want {
				t.Errorf("server saw %d attempts, want %d", got, want)
			}
			if n := o.Passwords(); n != 0 {
				t.Errorf("server saw %d password logins, want 0", n)
			}
		})
	}
}

func TestOAuthSMTPRefreshesRefusedToken(t *testing.T) {
	t.Parallel()
	const stale, fresh = "tok-stale-3333", "tok-fresh-4444"
	for _, tt := range oauthMechCases {
		t.Run(tt.name, func(t *testing.T) {
			o := &oauthCheck{valid: fresh, mechs: tt.offers}
			rs := startOAuthSMTP(t, o)
			cmd, runs := tokenScript(t, stale, fresh)
			cfg := oauthEnv(t, rs.Addr, rs.Addr, cmd, cmd)
			var logs lockedBuffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			ctx := context.Background()

			s := NewSMTPSender(cfg.SMTP, "localhost", log)
			if err := s.Send(ctx, oauthUser, "mary@example.org", recBody("mary@example.org", 1)); err != nil {
				t.Fatalf("Send() error = %v, want nil", err)
			}
			// A new connection logs in again, with the cached token.
			s.Close()
			if err := s.Send(ctx, oauthUser, "mary@example.org", recBody("mary@example.org", 2)); err != nil {
				t.Fatalf("second Send() error = %v, want nil", err)
			}
			s.Close()
			if got, want := len(rs.Accepted()), 2; got != want {
				t.Errorf("server accepted %d messages, want %d", got, want)
			}
			if got, want := runs(), 2; got != want {
				t.Errorf("token command ran %d times, want %d", got, want)
			}
			want := []string{tt.want + " " + stale, tt.want + " " + fresh, tt.want + " " + fresh}
			if got := o.Tries(); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("server saw %q, want %q", got, want)
			}
			log.Info("sender", "smtp", cfg.SMTP)
			checkNoSecret(t, "log", logs.String(), stale, fresh)
			checkNoSecret(t, "log", logs.String(), cmd)
		})
	}
}

// A server that takes no token at all: one fresh token is tried, then the
// bot gives up with an error that names the variable and holds no token.
func TestOAuthTokenRefusedTwice(t *testing.T) {
	t.Parallel()
	const first, second = "tok-first-5555", "tok-second-6666"
	o := &oauthCheck{mechs: []string{sasl.OAuthBearer, mechXOAuth2}}
	addr, _ := startOAuthIMAP(t, o)
	rs := startOAuthSMTP(t, o)
	imapCmd, imapRuns := tokenScript(t, first, second)
	smtpCmd, smtpRuns := tokenScript(t, first, second)
	cfg := oauthEnv(t, addr, rs.Addr, imapCmd, smtpCmd)

	_, ierr := dialIMAP(context.Background(), cfg.IMAP, imapclient.Options{})
	serr := NewSMTPSender(cfg.SMTP, "localhost", slog.New(slog.DiscardHandler)).Send(context.Background(), oauthUser, "p@example.org", recBody("p@example.org", 1))
	var ue *UnavailableError
	if !errors.As(serr, &ue) {
		t.Errorf("Send() error = %v (%T), want an *UnavailableError, for the outbox to retry later", serr, serr)
	}
	for _, c := range []struct {
		name string
		err  error
		runs int
		want []string
	}{
		{"IMAP", ierr, imapRuns(), []string{"refused a fresh token too", "MAILBOT_IMAP_TOKEN_CMD", "AUTHENTICATIONFAILED", "invalid_token", oauthUser}},
		{"SMTP", serr, smtpRuns(), []string{"refused a fresh token too", "MAILBOT_SMTP_TOKEN_CMD", "535", "invalid_token", oauthUser}},
	} {
		if c.err == nil {
			t.Errorf("%s login error = nil, want a refusal", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(c.err.Error(), w) {
				t.Errorf("%s login error = %q, want it to contain %q", c.name, c.err, w)
			}
		}
		checkNoSecret(t, c.name+" error", c.err.Error(), first, second)
		if c.runs != 2 {
			t.Errorf("%s token command ran %d times, want 2", c.name, c.runs)
		}
	}
	if got, want := len(o.Tries()), 4; got != want {
		t.Errorf("servers saw %d token attempts, want %d (two each)", got, want)
	}
}

// A command that prints the same token again (it caches it itself) gets no
// second login: it would be refused the same way.
func TestOAuthSameTokenNotRetried(t *testing.T) {
	t.Parallel()
	const tok = "tok-same-7777"
	o := &oauthCheck{mechs: []string{mechXOAuth2}}
	addr, _ := startOAuthIMAP(t, o)
	cmd, runs := tokenScript(t, tok)
	cfg := oauthEnv(t, addr, addr, cmd, cmd)
	_, err := dialIMAP(context.Background(), cfg.IMAP, imapclient.Options{})
	if err == nil || !strings.Contains(err.Error(), "printed the same token again") {
		t.Errorf("dialIMAP() error = %v, want one saying the command printed the same token again", err)
	}
	if err != nil {
		checkNoSecret(t, "error", err.Error(), tok)
	}
	if got, want := runs(), 2; got != want {
		t.Errorf("token command ran %d times, want %d", got, want)
	}
	if got, want := len(o.Tries()), 1; got != want {
		t.Errorf("server saw %d attempts, want %d", got, want)
	}
}

// With a token command set, a server offering only passwords is refused
// before the command runs: no fallback to a password.
func TestOAuthNoPasswordFallback(t *testing.T) {
	t.Parallel()
	o := &oauthCheck{valid: "tok-x-8888", mechs: []string{sasl.Plain, sasl.Login}}
	addr, _ := startOAuthIMAP(t, o)
	rs := startOAuthSMTP(t, o)
	cmd, runs := tokenScript(t, "tok-x-8888")
	cfg := oauthEnv(t, addr, rs.Addr, cmd, cmd)
	if _, err := dialIMAP(context.Background(), cfg.IMAP, imapclient.Options{}); err == nil || !strings.Contains(err.Error(), "neither AUTH=OAUTHBEARER nor AUTH=XOAUTH2") {
		t.Errorf("dialIMAP() error = %v, want one saying the server offers neither mechanism", err)
	}
	err := NewSMTPSender(cfg.SMTP, "localhost", slog.New(slog.DiscardHandler)).Send(context.Background(), oauthUser, "p@example.org", recBody("p@example.org", 1))
	if err == nil || !strings.Contains(err.Error(), "neither AUTH OAUTHBEARER nor AUTH XOAUTH2") {
		t.Errorf("Send() error = %v, want one saying the server offers neither mechanism", err)
	}
	if n := o.Passwords(); n != 0 {
		t.Errorf("servers saw %d password logins, want 0", n)
	}
	if n := runs(); n != 0 {
		t.Errorf("token command ran %d times, want 0", n)
	}
}

// A failing command's error output reaches the operator, without the
// token it may have printed or echoed.
func TestOAuthTokenCommandFails(t *testing.T) {
	t.Parallel()
	const leaked = "tok-leaked-9999"
	o := &oauthCheck{valid: leaked, mechs: []string{sasl.OAuthBearer}}
	addr, _ := startOAuthIMAP(t, o)
	cmd := `echo ` + leaked + `; echo "refreshing ` + leaked + ` failed" >&2; echo "AADSTS700082: The refresh token has expired due to inactivity." >&2; exit 3`
	cfg := oauthEnv(t, addr, addr, cmd, cmd)
	_, err := dialIMAP(context.Background(), cfg.IMAP, imapclient.Options{})
	if err == nil {
		t.Fatal("dialIMAP() error = nil, want the command's failure")
	}
	for _, w := range []string{"MAILBOT_IMAP_TOKEN_CMD", "exit status 3", "AADSTS700082: The refresh token has expired due to inactivity.", "refreshing [redacted] failed | AADSTS700082"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("dialIMAP() error = %q, want it to contain %q", err, w)
		}
	}
	checkNoSecret(t, "error", err.Error(), leaked)
	if len(o.Tries()) != 0 {
		t.Errorf("server saw %q, want no attempt", o.Tries())
	}
}

// The whole bot, as `mailbot run --once` runs it, reads a message over IMAP
// and answers over SMTP, both logged in with tokens that are refused once
// and refreshed; no token reaches its log.
func TestOAuthServiceOnce(t *testing.T) {
	t.Parallel()
	const imapStale, imapFresh = "tok-imap-stale-1212", "tok-imap-fresh-3434"
	const smtpStale, smtpFresh = "tok-smtp-stale-5656", "tok-smtp-fresh-7878"
	ic := &oauthCheck{valid: imapFresh, mechs: []string{mechXOAuth2, sasl.OAuthBearer}}
	sc := &oauthCheck{valid: smtpFresh, mechs: []string{mechXOAuth2}}
	imapAddr, user := startOAuthIMAP(t, ic)
	rs := startOAuthSMTP(t, sc)
	if _, err := user.Append("INBOX", bytes.NewReader([]byte(message("Mary <mary@example.org>", "help", "q1@example.org", "help"))), &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	imapCmd, _ := tokenScript(t, imapStale, imapFresh)
	smtpCmd, _ := tokenScript(t, smtpStale, smtpFresh)
	cfg := oauthEnv(t, imapAddr, rs.Addr, imapCmd, smtpCmd)
	cfg.RetryBase = 10 * time.Millisecond

	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svc, err := NewService(ctx, cfg, SystemClock, log)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if err := svc.Once(ctx); err != nil {
		t.Fatalf("Once() error = %v\nlog:\n%s", err, logs.String())
	}
	acc := rs.Accepted()
	if len(acc) != 1 || len(acc[0].To) != 1 || acc[0].To[0] != "mary@example.org" {
		t.Fatalf("server accepted %+v, want one reply to mary@example.org\nlog:\n%s", acc, logs.String())
	}
	if got, want := strings.Join(ic.Tries(), ","), "OAUTHBEARER "+imapStale+",OAUTHBEARER "+imapFresh; got != want {
		t.Errorf("IMAP server saw %q, want %q", got, want)
	}
	if got, want := strings.Join(sc.Tries(), ","), "XOAUTH2 "+smtpStale+",XOAUTH2 "+smtpFresh; got != want {
		t.Errorf("SMTP server saw %q, want %q", got, want)
	}
	if !strings.Contains(logs.String(), "auth=oauth") {
		t.Errorf("log does not say the inbox logs in with a token (auth=oauth):\n%s", logs.String())
	}
	checkNoSecret(t, "log", logs.String(), imapStale, imapFresh, smtpStale, smtpFresh, imapCmd, smtpCmd)
}
