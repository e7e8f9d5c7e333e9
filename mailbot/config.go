package mailbot

import (
	"cmp"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"

	"github.com/betterdays/mailbot/mailbot/address"
	"github.com/betterdays/mailbot/store"
)

// Config is everything the operator can set. FromEnv reads it from the
// MAILBOT_* environment variables of the operator contract.
type Config struct {
	DB      string
	Address string // the project address the bot reads and replies from
	IMAP    Endpoint
	SMTP    Endpoint
	// Embedded is true when neither MAILBOT_IMAP nor MAILBOT_SMTP is set:
	// the bot runs its own loopback mail server.
	Embedded bool
	Staff    []string
	// AuthServID is the authserv-id (RFC 8601) of our own receiving mail
	// server: only its Authentication-Results can prove a staff address.
	AuthServID string
	// Reminders are how long before a session each reminder goes to
	// everyone confirmed, longest first.
	Reminders []time.Duration
	// Digest is the local time of day, from midnight, when staff get the
	// day's digest; DigestOff, none.
	Digest    time.Duration
	DigestOff bool
	HTTP      string
	BaseURL   *url.URL
	TZ        *time.Location

	// ProcessedFolder, when set, is where handled messages are moved;
	// otherwise they are flagged \Seen and left in INBOX.
	ProcessedFolder string
	// MaxMessageBytes is the largest message read whole; a larger one is
	// recorded from its header and answered with a short note.
	MaxMessageBytes int64
	// PollInterval is how often the inbox looks for mail when the server
	// has no IDLE, and the longest one IDLE lasts before a fresh look.
	PollInterval time.Duration
	// ReplyLimit is the most mail the bot sends one address in an hour;
	// past it, messages are recorded and not answered.
	ReplyLimit int
	// StaffDomainProof lets a pass for a staff address's domain (DMARC,
	// or an aligned DKIM or SPF) prove the address. Only safe where the
	// mail server lets an account send with its own From alone
	// (MAILBOT_STAFF_PROOF=domain); by default the server must vouch for
	// the address itself.
	StaffDomainProof bool
	// MaxPlaces is the most places one request may take.
	MaxPlaces int
	// NoIdle makes the inbox poll even where the server offers IDLE, for
	// servers whose IDLE is unreliable (MAILBOT_IDLE=off).
	NoIdle bool
	// RetryBase is the first wait after a temporary sending failure; each
	// further failure doubles it, up to an hour.
	RetryBase time.Duration
	// GiveUpAfter is how long a message may keep failing temporarily before
	// it is recorded as failed.
	GiveUpAfter time.Duration
	// InboxRetryBase is the first wait before the inbox connects again
	// after its connection failed; each further failure doubles it, up to
	// five minutes. Zero is one second. Not in the environment: tests of
	// a server that is down for a while set it short.
	InboxRetryBase time.Duration
	// DBBusyTimeout is how long a write waits for another program's lock
	// on DB before it fails; zero is store.DefaultBusyTimeout. Not in the
	// environment: tests that hold the lock on purpose set it short.
	DBBusyTimeout time.Duration

	// SecretFile holds the key that signs links and addresses we hand out
	// (unsubscribe, confirm, bounce); it is made on first run, mode 0600.
	SecretFile string
	// Sending limits, for every message the bot sends: the mail provider's
	// (Microsoft 365 allows a mailbox 30 a minute, 10,000 a day and 3
	// connections). Zero means no limit. Newsletters leave a tenth of the
	// day to replies.
	PerMinute   int
	PerDay      int
	Connections int
	// ConfirmWithin is how long a request to join the list waits for its
	// "yes" before it lapses.
	ConfirmWithin time.Duration
	// SoftBounces temporary failures within SoftBounceWindow stop mail to
	// an address, as one permanent failure does at once.
	SoftBounces      int
	SoftBounceWindow time.Duration
	// KeepBodiesDays is how many days what people wrote, and what we
	// wrote them, is kept; after that only what keeps a message from
	// being handled or sent twice stays (see PruneBodies).
	KeepBodiesDays int
	// Checkpoint is how the write-ahead log is checkpointed
	// (MAILBOT_CHECKPOINT): truncate by default, passive or off under
	// Litestream, which owns the log.
	Checkpoint store.CheckpointMode
}

// Endpoint is a mail server to connect to.
type Endpoint struct {
	Host     string // host:port
	TLS      bool   // implicit TLS (imaps, smtps); otherwise STARTTLS when offered
	User     string
	Password string
	// TokenCmd, when set, prints an OAuth access token to log in with
	// (XOAUTH2 or OAUTHBEARER) instead of a password; see oauth.go.
	TokenCmd string
	tokens   *tokenSource // the command's cached token, shared by copies
}

// LogValue keeps the password, and the token command (which may hold a
// client secret), out of every log line.
func (e Endpoint) LogValue() slog.Value {
	scheme := "starttls-if-offered"
	if e.TLS {
		scheme = "tls"
	}
	attrs := []slog.Attr{slog.String("host", e.Host), slog.String("user", e.User), slog.String("security", scheme)}
	if e.TokenCmd != "" {
		attrs = append(attrs, slog.String("auth", "oauth"))
	}
	return slog.GroupValue(attrs...)
}

// Loopback reports whether the server is on this machine, the one place a
// password may cross the wire unencrypted.
func (e Endpoint) Loopback() bool {
	host, _, err := net.SplitHostPort(e.Host)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Addresses of the embedded server by default (MAILBOT_EMBEDDED_SMTP and
// MAILBOT_EMBEDDED_IMAP set others, for a second copy or a busy port).
const (
	EmbeddedSMTP = "127.0.0.1:2525"
	EmbeddedIMAP = "127.0.0.1:1143"
)

// FromEnv reads the configuration through getenv (os.Getenv in the binary,
// a map in tests). Every problem is reported, naming the variable.
func FromEnv(getenv func(string) string) (Config, error) {
	r := &envReader{getenv: getenv}
	get, bad := r.get, r.bad
	c := Config{
		DB:              get("MAILBOT_DB", "./mailbot.db"),
		HTTP:            get("MAILBOT_HTTP", "127.0.0.1:8080"),
		ProcessedFolder: get("MAILBOT_PROCESSED_FOLDER", ""),
		RetryBase:       30 * time.Second,
		GiveUpAfter:     48 * time.Hour,
	}
	var err error
	c.readPeople(r)
	c.SecretFile = get("MAILBOT_SECRET_FILE", c.DB+".secret")
	for _, n := range []struct {
		key, def string
		min      int
		to       *int
	}{
		{"MAILBOT_SEND_PER_MINUTE", "30", 0, &c.PerMinute},
		{"MAILBOT_SEND_PER_DAY", "10000", 0, &c.PerDay},
		{"MAILBOT_SMTP_CONNECTIONS", "3", 1, &c.Connections},
		{"MAILBOT_SOFT_BOUNCES", "3", 1, &c.SoftBounces},
		{"MAILBOT_KEEP_BODIES_DAYS", "90", 1, &c.KeepBodiesDays},
		{"MAILBOT_MAX_PLACES", "4", 1, &c.MaxPlaces},
	} {
		if *n.to, err = strconv.Atoi(get(n.key, n.def)); err != nil || *n.to < n.min {
			bad(n.key, fmt.Errorf("want a whole number, %d or more", n.min))
		}
	}
	for _, d := range []struct {
		key, def string
		to       *time.Duration
	}{
		{"MAILBOT_CONFIRM_WITHIN", "30d", &c.ConfirmWithin},
		{"MAILBOT_SOFT_BOUNCE_WINDOW", "30d", &c.SoftBounceWindow},
	} {
		if *d.to, err = parseSpan(get(d.key, d.def)); err != nil {
			bad(d.key, err)
		}
	}
	if c.Reminders, err = parseLeads(get("MAILBOT_REMINDERS", "48h,2h")); err != nil {
		bad("MAILBOT_REMINDERS", err)
	}
	if c.Digest, c.DigestOff, err = parseClock(get("MAILBOT_DIGEST", "08:00")); err != nil {
		bad("MAILBOT_DIGEST", err)
	}
	if _, _, err := net.SplitHostPort(c.HTTP); err != nil {
		bad("MAILBOT_HTTP", err)
	}
	if u, err := url.Parse(get("MAILBOT_BASE_URL", "http://127.0.0.1:8080")); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("MAILBOT_BASE_URL", fmt.Errorf("want an http:// or https:// URL"))
	} else {
		c.BaseURL = u
	}
	if c.TZ, err = time.LoadLocation(get("MAILBOT_TZ", "Europe/London")); err != nil {
		bad("MAILBOT_TZ", err)
	}
	c.MaxMessageBytes, err = strconv.ParseInt(get("MAILBOT_MAX_MESSAGE_BYTES", strconv.Itoa(5<<20)), 10, 64)
	if err != nil || c.MaxMessageBytes < 1024 {
		bad("MAILBOT_MAX_MESSAGE_BYTES", fmt.Errorf("want a number of bytes, at least 1024"))
	}
	if c.PollInterval, err = time.ParseDuration(get("MAILBOT_POLL", "1m")); err != nil || c.PollInterval <= 0 {
		bad("MAILBOT_POLL", fmt.Errorf("want a duration such as 1m"))
	}

	if c.ReplyLimit, err = strconv.Atoi(get("MAILBOT_REPLY_LIMIT", "10")); err != nil || c.ReplyLimit < 1 {
		bad("MAILBOT_REPLY_LIMIT", fmt.Errorf("want a whole number, 1 or more"))
	}
	switch v := store.CheckpointMode(strings.ToLower(get("MAILBOT_CHECKPOINT", "truncate"))); v {
	case store.CheckpointTruncate, store.CheckpointPassive, store.CheckpointOff:
		c.Checkpoint = v
	default:
		bad("MAILBOT_CHECKPOINT", fmt.Errorf("%q: want truncate, passive (under Litestream) or off", v))
	}
	switch v := strings.ToLower(get("MAILBOT_IDLE", "on")); v {
	case "on":
	case "off":
		c.NoIdle = true
	default:
		bad("MAILBOT_IDLE", fmt.Errorf("%q: want on or off", v))
	}

	c.readMailServers(r)
	if len(r.errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(r.errs, "; "))
	}
	return c, nil
}

// envReader reads variables through getenv and keeps every problem,
// naming the variable, so that one error can list them all in order.
type envReader struct {
	getenv func(string) string
	errs   []string
}

// get is the variable k, trimmed, or def when it is unset or blank.
func (r *envReader) get(k, def string) string {
	if v := strings.TrimSpace(r.getenv(k)); v != "" {
		return v
	}
	return def
}

func (r *envReader) bad(k string, err error) { r.fail(fmt.Sprintf("%s: %v", k, err)) }

func (r *envReader) fail(problem string) { r.errs = append(r.errs, problem) }

// readPeople reads who the bot is and who its staff are, and how a
// message proves it came from them.
func (c *Config) readPeople(r *envReader) {
	addr, err := mail.ParseAddress(r.get("MAILBOT_ADDRESS", "betterdays@localhost"))
	if err != nil {
		r.bad("MAILBOT_ADDRESS", err)
	} else {
		c.Address = address.Canonical(addr.Address)
	}
	for _, s := range strings.Split(r.getenv("MAILBOT_STAFF"), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if a, err := mail.ParseAddress(s); err != nil {
			r.bad("MAILBOT_STAFF", fmt.Errorf("%q: %w", s, err))
		} else {
			c.Staff = append(c.Staff, address.Canonical(a.Address))
		}
	}
	_, domain, _ := strings.Cut(c.Address, "@")
	c.AuthServID = strings.ToLower(r.get("MAILBOT_AUTHSERV_ID", domain))
	if !address.ASCII(c.AuthServID) {
		r.bad("MAILBOT_AUTHSERV_ID", fmt.Errorf("%q: want the ASCII name your mail server writes", c.AuthServID))
	}
	switch v := strings.ToLower(r.get("MAILBOT_STAFF_PROOF", "address")); v {
	case "address":
	case "domain":
		c.StaffDomainProof = true
	default:
		r.bad("MAILBOT_STAFF_PROOF", fmt.Errorf("%q: want address or domain", v))
	}
}

// readMailServers reads the IMAP and SMTP servers and how to log in to
// them, or the embedded server's addresses when neither is set.
func (c *Config) readMailServers(r *envReader) {
	var err error
	imapURL, smtpURL := r.get("MAILBOT_IMAP", ""), r.get("MAILBOT_SMTP", "")
	switch {
	case imapURL == "" && smtpURL == "":
		c.Embedded = true
		c.IMAP = Endpoint{Host: r.get("MAILBOT_EMBEDDED_IMAP", EmbeddedIMAP), User: c.Address, Password: "embedded"}
		c.SMTP = Endpoint{Host: r.get("MAILBOT_EMBEDDED_SMTP", EmbeddedSMTP)}
		for _, e := range []struct{ key, addr, def string }{
			{"MAILBOT_EMBEDDED_SMTP", c.SMTP.Host, EmbeddedSMTP},
			{"MAILBOT_EMBEDDED_IMAP", c.IMAP.Host, EmbeddedIMAP},
		} {
			if _, _, err := net.SplitHostPort(e.addr); err != nil {
				r.bad(e.key, fmt.Errorf("%q: want host:port, such as %s", e.addr, e.def))
			}
		}
	case imapURL == "" || smtpURL == "":
		r.fail("MAILBOT_IMAP and MAILBOT_SMTP: set both for a real mail server, or neither for the embedded one")
	default:
		if c.IMAP, err = parseEndpoint(imapURL, "imap", 143, "imaps", 993); err != nil {
			r.bad("MAILBOT_IMAP", err)
		}
		if c.IMAP.Password, err = readPassword(r.getenv, "IMAP", imapCredential); err != nil {
			r.fail(err.Error())
		}
		if c.SMTP, err = parseEndpoint(smtpURL, "smtp", 587, "smtps", 465); err != nil {
			r.bad("MAILBOT_SMTP", err)
		}
		if c.SMTP.Password, err = readPassword(r.getenv, "SMTP", smtpCredential); err != nil {
			r.fail(err.Error())
		}
	}
	for _, t := range []struct {
		server string
		ep     *Endpoint
	}{{"IMAP", &c.IMAP}, {"SMTP", &c.SMTP}} {
		key := "MAILBOT_" + t.server + "_TOKEN_CMD"
		switch cmd := r.get(key, ""); {
		case cmd == "":
		case c.Embedded:
			r.bad(key, fmt.Errorf("for a real mail server only: set MAILBOT_IMAP and MAILBOT_SMTP, or unset this for the embedded one"))
		case t.ep.Host == "":
			// MAILBOT_IMAP or MAILBOT_SMTP is missing or bad: said above.
		case t.ep.Password != "":
			r.fail(fmt.Sprintf("MAILBOT_%s_PASSWORD and %s: set one or the other, not both", t.server, key))
		case t.ep.User == "":
			r.bad(key, fmt.Errorf("MAILBOT_%s has no user name to log in with the token (want …://user@host)", t.server))
		default:
			t.ep.TokenCmd, t.ep.tokens = cmd, newTokenSource(key, cmd)
		}
	}
}

// parseClock reads a time of day, "08:00" or "8:30", as the time since
// midnight; "off" is none.
func parseClock(v string) (time.Duration, bool, error) {
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "off") {
		return 0, true, nil
	}
	t, err := time.Parse("15:04", v)
	if err != nil {
		return 0, false, fmt.Errorf("%q: want a time of day such as 08:00, or off", v)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, false, nil
}

// parseLeads reads reminder lead times: "48h,2h", "2d,2h", or "off" for
// none.
func parseLeads(v string) ([]time.Duration, error) {
	if strings.EqualFold(v, "off") {
		return nil, nil
	}
	var out []time.Duration
	for _, f := range strings.Split(v, ",") {
		d, err := parseSpan(f)
		if err != nil {
			return nil, fmt.Errorf("%q: want durations such as 48h,2h or 2d,2h, or off", strings.TrimSpace(f))
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b time.Duration) int { return cmp.Compare(b, a) })
	return out, nil
}

// parseSpan reads a positive duration in Go's form ("90m", "48h") or in
// days ("30d"), which is how people think of anything longer.
func parseSpan(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(v, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(v)
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a duration such as 30d or 12h", v)
	}
	return d, nil
}

// parseEndpoint reads scheme://user@host:port. A password in the URL is
// refused: it would end up in shell history and logs.
func parseEndpoint(raw, plain string, plainPort int, tls string, tlsPort int) (Endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Endpoint{}, fmt.Errorf("not a URL (want %s://user@host:%d or %s://user@host:%d)", tls, tlsPort, plain, plainPort)
	}
	var e Endpoint
	port := plainPort
	switch u.Scheme {
	case tls:
		e.TLS, port = true, tlsPort
	case plain:
	default:
		return e, fmt.Errorf("scheme %q: want %s:// or %s://", u.Scheme, tls, plain)
	}
	if u.Hostname() == "" {
		return e, fmt.Errorf("no host in %s://…", u.Scheme)
	}
	if _, ok := u.User.Password(); ok {
		return e, fmt.Errorf("put the password in the _PASSWORD variable, not in the URL")
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return e, fmt.Errorf("bad port %q", p)
		}
	}
	e.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(port))
	e.User = u.User.Username()
	return e, nil
}

// IsOwnAddress reports whether addr is the bot's, plus-addresses included:
// mail from ourselves is never answered.
func (c *Config) IsOwnAddress(addr string) bool { return desk.OwnAddress(c.Address, addr) }
