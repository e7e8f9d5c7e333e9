package mailbot

// Modern authentication: SASL OAUTHBEARER (RFC 7628) and XOAUTH2 (Google's
// and Microsoft's older form of the same thing) for IMAP and SMTP, with the
// access token printed by a command the operator configures
// (MAILBOT_IMAP_TOKEN_CMD, MAILBOT_SMTP_TOKEN_CMD). The bot never holds a
// refresh token or a client secret: getting tokens is the command's job
// (az, oauth2l, gcloud, a script), keeping them is not ours.
//
// The command runs through /bin/sh -c with no input, for at most 30
// seconds. What it prints on standard output is either the token alone, or
// JSON with "access_token" (or "accessToken") and its lifetime as
// "expires_in" (seconds), "expires_on" (Unix time) or "expiry" (RFC 3339).
// A token is used until a minute before it expires; a bare token that is a
// JWT (Microsoft's are) expires at its "exp" claim; any other bare token is
// kept for five minutes, short enough that a token revoked or rotated
// behind our back is soon replaced, long enough that a reconnecting bot does
// not run the command every few seconds. Whenever a server refuses a token,
// the command is run again and the login tried once more with the new token.
//
// Tokens are secrets: they are never logged and never put in an error; the
// command line itself is not shown either (it may hold a client secret), the
// variable it came from is named instead.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-sasl"
)

const (
	// tokenCmdTimeout bounds one run of a token command.
	tokenCmdTimeout = 30 * time.Second
	// tokenDefaultLife is how long a bare token with no expiry we can read
	// is used before the command is run again.
	tokenDefaultLife = 5 * time.Minute
	// tokenMargin is how long before its expiry a token is replaced, so it
	// does not expire between the fetch and the login.
	tokenMargin = time.Minute
	// maxTokenOutput bounds what is read of the command's output; a
	// Microsoft token is about 2 KB.
	maxTokenOutput = 64 << 10

	mechXOAuth2 = "XOAUTH2"
)

// tokenSource runs one token command and keeps its token until it expires
// or a server refuses it. It is shared by every connection to the same
// server (one Endpoint and its copies) and safe for concurrent use: one
// command runs at a time and the others wait for its token.
type tokenSource struct {
	name    string // the variable the command came from, for errors
	cmd     string
	timeout time.Duration
	// grace is how long a child left holding the pipes (a helper daemon)
	// may keep us waiting past the kill; tests shorten it.
	grace time.Duration
	now   func() time.Time

	run chan struct{} // holds one token while a command runs

	mu      sync.Mutex
	token   string
	expires time.Time
}

func newTokenSource(name, cmd string) *tokenSource {
	return &tokenSource{name: name, cmd: cmd, timeout: tokenCmdTimeout, grace: 2 * time.Second, now: time.Now, run: make(chan struct{}, 1)}
}

// String names the source without its command or token, wherever it is
// printed.
func (s *tokenSource) String() string { return s.name }

// Token returns the cached token while it is good, and otherwise runs the
// command for a new one.
func (s *tokenSource) Token(ctx context.Context) (string, error) {
	select {
	case s.run <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.run }()
	s.mu.Lock()
	tok, exp := s.token, s.expires
	s.mu.Unlock()
	if tok != "" && s.now().Before(exp) {
		return tok, nil
	}
	tok, exp, err := s.fetch(ctx)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.token, s.expires = tok, exp
	s.mu.Unlock()
	return tok, nil
}

// Refresh forgets the token a server refused and returns a new one. A
// connection that lost the race to another which already refreshed gets
// the other's token without a second run.
func (s *tokenSource) Refresh(ctx context.Context, refused string) (string, error) {
	s.mu.Lock()
	if s.token == refused {
		s.token = ""
	}
	s.mu.Unlock()
	return s.Token(ctx)
}

// fetch runs the command once.
func (s *tokenSource) fetch(parent context.Context) (string, time.Time, error) {
	ctx, cancel := context.WithTimeout(parent, s.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", s.cmd)
	var stdout, stderr cappedBuffer
	stdout.max, stderr.max = maxTokenOutput, 8<<10
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = s.grace
	err := cmd.Run()
	if err != nil {
		secrets := append(tokenRuns(stdout.String()), s.cachedToken())
		msg := stderrTail(redact(stderr.String(), secrets...))
		switch {
		case parent.Err() != nil:
			return "", time.Time{}, fmt.Errorf("%s: %w", s.name, parent.Err())
		case ctx.Err() != nil:
			err = fmt.Errorf("did not finish within %v", s.timeout)
		}
		if msg != "" {
			return "", time.Time{}, fmt.Errorf("%s: the token command failed: %v: %s", s.name, err, msg)
		}
		return "", time.Time{}, fmt.Errorf("%s: the token command failed: %v (and printed nothing on standard error)", s.name, err)
	}
	if stdout.over {
		return "", time.Time{}, fmt.Errorf("%s: the token command printed more than %d KB; it should print only the access token, or JSON with access_token", s.name, maxTokenOutput>>10)
	}
	tok, exp, err := parseTokenOutput(stdout.Bytes(), s.now())
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%s: %w", s.name, err)
	}
	return tok, exp, nil
}

func (s *tokenSource) cachedToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

// parseTokenOutput reads a token command's standard output: the token
// alone, or JSON as OAuth 2.0 token endpoints (RFC 6749 section 5.1), the
// Azure CLI and oauth2l print it. It returns when to stop using the token:
// tokenMargin before its expiry, when that is known.
func parseTokenOutput(out []byte, now time.Time) (string, time.Time, error) {
	out = bytes.TrimSpace(out)
	if len(out) == 0 {
		return "", time.Time{}, errors.New("the token command printed no token on standard output")
	}
	if out[0] != '{' {
		tok := string(out)
		if !isBearerToken(tok) {
			return "", time.Time{}, errors.New("the token command printed something that is not an access token: it should print only the token (RFC 6750 allows letters, digits and -._~+/ with = at the end), or JSON with access_token")
		}
		if exp, ok := jwtExpiry(tok); ok {
			return tok, exp.Add(-tokenMargin), nil
		}
		return tok, now.Add(tokenDefaultLife), nil
	}
	var j struct {
		AccessToken  string      `json:"access_token"`
		AccessToken2 string      `json:"accessToken"` // the Azure CLI
		ExpiresIn    json.Number `json:"expires_in"`
		ExpiresOn    json.Number `json:"expires_on"`
		Expiry       string      `json:"expiry"` // oauth2l, Go's oauth2.Token
	}
	// Decode errors can quote the input, which holds the token: say only
	// that it was not JSON.
	if json.Unmarshal(out, &j) != nil {
		return "", time.Time{}, errors.New("the token command printed something that starts like JSON but is not valid JSON")
	}
	tok := cmp.Or(j.AccessToken, j.AccessToken2)
	if tok == "" {
		return "", time.Time{}, errors.New("the token command printed JSON without access_token")
	}
	if !isBearerToken(tok) {
		return "", time.Time{}, errors.New("the token command printed an access_token that is not a bearer token (RFC 6750)")
	}
	var exp time.Time
	if n, err := j.ExpiresIn.Int64(); err == nil && n > 0 {
		exp = now.Add(time.Duration(n) * time.Second)
	} else if n, err := j.ExpiresOn.Int64(); err == nil && n > 0 {
		exp = time.Unix(n, 0)
	} else if t, err := time.Parse(time.RFC3339, j.Expiry); err == nil {
		exp = t
	} else if t, ok := jwtExpiry(tok); ok {
		exp = t
	} else {
		return tok, now.Add(tokenDefaultLife), nil
	}
	return tok, exp.Add(-tokenMargin), nil
}

// isBearerToken reports whether tok is an RFC 6750 section 2.1 b64token,
// which also keeps the SASL separators (%x01, ',') out of it.
func isBearerToken(tok string) bool {
	body := strings.TrimRight(tok, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		if !isTokenChar(body[i]) {
			return false
		}
	}
	return true
}

func isTokenChar(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
		b == '-' || b == '.' || b == '_' || b == '~' || b == '+' || b == '/'
}

// jwtExpiry reads the "exp" claim (RFC 7519 section 4.1.4) of a token
// that is a JWT. The signature is not checked: the time only decides when
// to fetch a new token, and the server judges the token itself.
func jwtExpiry(tok string) (time.Time, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return time.Time{}, false
	}
	exp, err := claims.Exp.Float64()
	if err != nil || exp <= 0 {
		return time.Time{}, false
	}
	return time.Unix(int64(exp), 0), true
}

// cappedBuffer keeps the first max bytes written and swallows the rest, so
// a chatty command is neither blocked nor killed by a full pipe.
type cappedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); len(p) > room {
		b.over = true
		b.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

// tokenRuns returns every run of token characters in s long enough to be a
// secret: what a failing command printed on standard output may be a token.
func tokenRuns(s string) []string {
	var runs []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r > 0x7f || !isTokenChar(byte(r)) && r != '=' }) {
		if len(f) >= 8 {
			runs = append(runs, f)
		}
	}
	return runs
}

// redact hides in s each of secrets, and any run of 40 or more token
// characters with both letters and digits in it, which is what tokens look
// like and ordinary error messages do not. '/' ends a run, so paths in a
// traceback survive.
func redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	var b strings.Builder
	run := func(r string) {
		if len(r) >= 40 && strings.ContainsAny(r, "0123456789") && strings.IndexFunc(r, func(c rune) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }) >= 0 {
			r = "[redacted]"
		}
		b.WriteString(r)
	}
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c != '/' && isTokenChar(c)) || c == '=' {
			continue
		}
		run(s[start:i])
		b.WriteByte(s[i])
		start = i + 1
	}
	run(s[start:])
	return b.String()
}

// stderrTail is the end of a command's error output on one line, its lines
// joined by " | ": the end is where tracebacks put the actual error.
func stderrTail(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	s = strings.Join(lines, " | ")
	if len(s) > 1000 {
		i := len(s) - 1000
		for i < len(s) && !utf8.RuneStart(s[i]) {
			i++
		}
		s = "…" + s[i:]
	}
	return s
}

// oauthMech picks the mechanism for a token among those the server offers:
// OAUTHBEARER, the standard, else XOAUTH2, which Microsoft 365 offers alone.
func oauthMech(offers func(mech string) bool) (string, bool) {
	for _, m := range []string{sasl.OAuthBearer, mechXOAuth2} {
		if offers(m) {
			return m, true
		}
	}
	return "", false
}

// oauthClient is a sasl.Client for OAUTHBEARER and XOAUTH2. Both send the
// token in the initial response; a server that refuses it sends one
// challenge, a JSON error, which the client must answer before the server
// ends the exchange with its failure (RFC 7628 section 3.2.3). go-sasl's
// OAUTHBEARER client returns an error there instead, which leaves an IMAP
// AUTHENTICATE hanging.
type oauthClient struct {
	mech string
	ir   []byte
	// refusal is the server's error challenge, when it sent one.
	refusal *sasl.OAuthBearerError
}

func newOAuthClient(mech, user, token, hostport string) *oauthClient {
	c := &oauthClient{mech: mech}
	if mech == mechXOAuth2 {
		// https://developers.google.com/gmail/imap/xoauth2-protocol
		c.ir = []byte("user=" + user + "\x01auth=Bearer " + token + "\x01\x01")
		return c
	}
	// RFC 7628 section 3.1, with the authzid a saslname (RFC 5801 section 4).
	gs2 := "n,"
	if user != "" {
		gs2 += "a=" + strings.NewReplacer("=", "=3D", ",", "=2C").Replace(user)
	}
	gs2 += ","
	if host, port, err := net.SplitHostPort(hostport); err == nil {
		gs2 += "\x01host=" + host
		if _, err := strconv.Atoi(port); err == nil {
			gs2 += "\x01port=" + port
		}
	}
	c.ir = []byte(gs2 + "\x01auth=Bearer " + token + "\x01\x01")
	return c
}

func (c *oauthClient) Start() (string, []byte, error) { return c.mech, c.ir, nil }

func (c *oauthClient) Next(challenge []byte) ([]byte, error) {
	if c.refusal != nil {
		return nil, errors.New("the server sent a second challenge after refusing the token")
	}
	c.refusal = &sasl.OAuthBearerError{}
	json.Unmarshal(challenge, c.refusal) // the status is only for the error message
	if c.mech == mechXOAuth2 {
		return []byte{}, nil
	}
	return []byte{0x01}, nil
}

// oauthLogin logs in with a token from src through auth, which runs one
// SASL exchange. When the server refuses the token (it sent an error
// challenge, or refused says so of its Reply) the command is run for a new
// one and the login tried once more; only once, so a wrong account or
// scope does not hammer the server.
func oauthLogin(ctx context.Context, src *tokenSource, mech, user, hostport string, auth func(sasl.Client) error, refused func(error) bool) error {
	tok, err := src.Token(ctx)
	if err != nil {
		return err
	}
	for retried := false; ; retried = true {
		c := newOAuthClient(mech, user, tok, hostport)
		err := auth(c)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if c.refusal != nil && c.refusal.Status != "" {
			err = fmt.Errorf("%w (%s)", err, describeRefusal(c.refusal))
		}
		if c.refusal == nil && !refused(err) {
			return fmt.Errorf("%s: %w", mech, err)
		}
		if retried {
			return fmt.Errorf("%s: the server refused a fresh token too: %w; check the token is for %s and allows mail access (%s)", mech, err, user, src.name)
		}
		fresh, ferr := src.Refresh(ctx, tok)
		if ferr != nil {
			return fmt.Errorf("%s: the server refused the token: %w; and getting a new one: %w", mech, err, ferr)
		}
		if fresh == tok {
			return fmt.Errorf("%s: the server refused the token: %w; and %s printed the same token again; check the token is for %s and allows mail access", mech, err, src.name, user)
		}
		tok = fresh
	}
}

// describeRefusal words an RFC 7628 error challenge: the status (often
// invalid_token, or an HTTP code) and, when the server names it, the scope
// a token needs.
func describeRefusal(e *sasl.OAuthBearerError) string {
	s := "status " + redact(e.Status)
	if e.Scope != "" {
		s += ", needs scope " + redact(e.Scope)
	}
	return s
}

// secretName is what ep logs in with, for errors that refuse to send it.
func (ep Endpoint) secretName() string {
	if ep.TokenCmd != "" {
		return "an access token"
	}
	return "a password"
}

// tokenSource returns ep's token source, shared with every copy of ep
// made since FromEnv; an Endpoint made another way gets a fresh one, named
// after the variable that would have set it.
func (ep Endpoint) tokenSource(variable string) *tokenSource {
	if ep.tokens != nil {
		return ep.tokens
	}
	return newTokenSource(variable, ep.TokenCmd)
}
