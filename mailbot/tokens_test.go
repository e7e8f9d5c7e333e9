package mailbot

// The token command's source: what it prints, how long a token is kept,
// and that no token reaches a log.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
)

// jwt makes an unsigned JWT-shaped token with the given claims.
func jwt(claims string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString([]byte(claims)) + ".c2ln"
}

func TestTokenParseOutput(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 6, 21, 9, 0, 0, 0, time.UTC)
	exp := now.Add(time.Hour)
	jt := jwt(fmt.Sprintf(`{"aud":"https://outlook.office.com","exp":%d}`, exp.Unix()))
	tests := []struct {
		name, out string
		tok       string
		until     time.Time // when the token stops being used
	}{
		{"bare token, kept five minutes", "ya29.a0AfB_byC-abc~def+/g==\n", "ya29.a0AfB_byC-abc~def+/g==", now.Add(5 * time.Minute)},
		{"bare JWT: its exp", jt + "\n", jt, exp.Add(-time.Minute)},
		{"token endpoint JSON", `{"access_token":"at-1","token_type":"Bearer","expires_in":3599}`, "at-1", now.Add(3599*time.Second - time.Minute)},
		{"expires_in as a string", `{"access_token":"at-2","expires_in":"600"}`, "at-2", now.Add(9 * time.Minute)},
		{"Azure CLI", fmt.Sprintf(`{"accessToken":"at-3","expiresOn":"2027-06-21 10:00:00.000000","expires_on":%d,"tokenType":"Bearer"}`, exp.Unix()), "at-3", exp.Add(-time.Minute)},
		{"oauth2l", `{"access_token":"at-4","token_type":"Bearer","expiry":"2027-06-21T09:30:00Z"}`, "at-4", now.Add(29 * time.Minute)},
		{"JSON without expiry, token a JWT", `{"access_token":"` + jt + `"}`, jt, exp.Add(-time.Minute)},
		{"JSON without expiry", `{"access_token":"at-5"}`, "at-5", now.Add(5 * time.Minute)},
		{"nearly expired: used once", `{"access_token":"at-6","expires_in":30}`, "at-6", now.Add(-30 * time.Second)},
	}
	for _, tt := range tests {
		tok, until, err := parseTokenOutput([]byte(tt.out), now)
		if err != nil || tok != tt.tok || !until.Equal(tt.until) {
			t.Errorf("%s: parseTokenOutput(%q) = %q, %v, %v; want %q, %v, nil", tt.name, tt.out, tok, until, err, tt.tok, tt.until)
		}
	}
}

func TestTokenParseOutputErrors(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-t0ken-value"
	for _, out := range []string{
		"",
		"  \n",
		"Opening a browser to log in...\n" + secret + "\n",
		"Bearer " + secret,
		secret + "\x01",
		`{"access_token":"` + secret + `"`,
		`{"token":"` + secret + `"}`,
		`{"access_token":"` + secret + ` x"}`,
	} {
		_, _, err := parseTokenOutput([]byte(out), time.Now())
		if err == nil {
			t.Errorf("parseTokenOutput(%q) error = nil, want an error", out)
			continue
		}
		checkNoSecret(t, "error", err.Error(), secret)
	}
}

// newTestSource is a token source for cmd on a clock the test moves.
func newTestSource(cmd string, now *time.Time) *tokenSource {
	s := newTokenSource("MAILBOT_IMAP_TOKEN_CMD", cmd)
	s.now = func() time.Time { return *now }
	return s
}

func TestTokenSourceCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2027, 6, 21, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		tokens   []string
		after    time.Duration // when the second Token call comes
		wantRuns int
	}{
		{"bare token within five minutes", []string{"tok-a", "tok-b"}, 4*time.Minute + 59*time.Second, 1},
		{"bare token after five minutes", []string{"tok-a", "tok-b"}, 5 * time.Minute, 2},
		{"expires_in: kept until a minute before", []string{`{"access_token":"tok-a","expires_in":3600}`, "tok-b"}, 58 * time.Minute, 1},
		{"expires_in: run again at the margin", []string{`{"access_token":"tok-a","expires_in":3600}`, "tok-b"}, 59 * time.Minute, 2},
		{"too short to keep", []string{`{"access_token":"tok-a","expires_in":20}`, "tok-b"}, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, runs := tokenScript(t, tt.tokens...)
			clock := now
			s := newTestSource(cmd, &clock)
			if tok, err := s.Token(ctx); err != nil || tok != "tok-a" {
				t.Fatalf("Token() = %q, %v; want tok-a", tok, err)
			}
			clock = clock.Add(tt.after)
			want := "tok-a"
			if tt.wantRuns == 2 {
				want = "tok-b"
			}
			if tok, err := s.Token(ctx); err != nil || tok != want {
				t.Errorf("Token() after %v = %q, %v; want %q", tt.after, tok, err, want)
			}
			if got := runs(); got != tt.wantRuns {
				t.Errorf("command ran %d times, want %d", got, tt.wantRuns)
			}
		})
	}
}

// Connections that find the token refused together run the command once:
// the first refreshes, the others take its token.
func TestTokenSourceConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cmd, runs := tokenScript(t, "tok-a", "tok-b", "tok-c")
	s := newTokenSource("MAILBOT_SMTP_TOKEN_CMD", cmd)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if tok, err := s.Token(ctx); err != nil || tok != "tok-a" {
				t.Errorf("Token() = %q, %v; want tok-a", tok, err)
			}
		})
	}
	wg.Wait()
	for range 8 {
		wg.Go(func() {
			if tok, err := s.Refresh(ctx, "tok-a"); err != nil || tok != "tok-b" {
				t.Errorf("Refresh(tok-a) = %q, %v; want tok-b", tok, err)
			}
		})
	}
	wg.Wait()
	if got, want := runs(), 2; got != want {
		t.Errorf("command ran %d times, want %d", got, want)
	}
}

func TestTokenSourceTimeout(t *testing.T) {
	t.Parallel()
	now := time.Now()
	s := newTestSource("echo starting >&2; sleep 20; echo tok-late", &now)
	s.timeout = 200 * time.Millisecond
	s.grace = 100 * time.Millisecond
	start := time.Now()
	_, err := s.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "did not finish within 200ms") || !strings.Contains(err.Error(), "starting") {
		t.Errorf("Token() error = %v, want one saying the command did not finish, with its error output", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Token() took %v, want the timeout (and the pipes' grace) to end it", d)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Token(cancelled) error = %v, want context.Canceled", err)
	}
}

// A command that succeeds without a token says so, and does not show what
// it printed on standard error, which might be the token.
func TestTokenSourceNoOutput(t *testing.T) {
	t.Parallel()
	now := time.Now()
	_, err := newTestSource("echo tok-on-stderr-0000 >&2", &now).Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "printed no token on standard output") {
		t.Errorf("Token() error = %v, want one saying no token was printed", err)
	}
	if err != nil {
		checkNoSecret(t, "error", err.Error(), "tok-on-stderr-0000")
	}
}

func TestTokenRedact(t *testing.T) {
	t.Parallel()
	jt := jwt(`{"exp":1800000000,"upn":"betterdays@council.example"}`)
	tests := []struct{ in, want string }{
		{"AADSTS700082: The refresh token has expired.", "AADSTS700082: The refresh token has expired."},
		{"token " + jt + " rejected", "token [redacted] rejected"},
		{`File "/usr/lib/python3/dist-packages/azure/cli/core/auth/identity.py", line 151`, `File "/usr/lib/python3/dist-packages/azure/cli/core/auth/identity.py", line 151`},
		{"got ya29.a0AfB_byAbcdefghijklmnopqrstuvwxyz0123456789", "got [redacted]"},
	}
	for _, tt := range tests {
		if got := redact(tt.in); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The initial responses are byte for byte what RFC 7628 section 3.1 and
// Google's XOAUTH2 description give.
func TestOAuthClientInitialResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mech, user, hostport string
		want                 string
	}{
		{sasl.OAuthBearer, "user@example.com", "server.example.com:143", "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"},
		{sasl.OAuthBearer, "a=b,c@example.com", "[::1]:993", "n,a=a=3Db=2Cc@example.com,\x01host=::1\x01port=993\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"},
		{mechXOAuth2, "someuser@example.com", "imap.gmail.com:993", "user=someuser@example.com\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"},
	}
	for _, tt := range tests {
		mech, ir, err := newOAuthClient(tt.mech, tt.user, "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", tt.hostport).Start()
		if err != nil || mech != tt.mech || string(ir) != tt.want {
			t.Errorf("newOAuthClient(%s, %s).Start() = %s, %q, %v; want %s, %q", tt.mech, tt.user, mech, ir, err, tt.mech, tt.want)
		}
	}
}
