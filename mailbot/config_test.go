package mailbot

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// ttEnv turns a map into a getenv for FromEnv.
func ttEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestFromEnvDefaults(t *testing.T) {
	t.Parallel()
	c, err := FromEnv(ttEnv(nil))
	if err != nil {
		t.Fatalf("FromEnv(empty) error = %v, want nil", err)
	}
	tests := []struct {
		what      string
		got, want any
	}{
		{"Embedded", c.Embedded, true},
		{"DB", c.DB, "./mailbot.db"},
		{"Address", c.Address, "betterdays@localhost"},
		{"TZ", c.TZ.String(), "Europe/London"},
		{"HTTP", c.HTTP, "127.0.0.1:8080"},
		{"BaseURL", c.BaseURL.String(), "http://127.0.0.1:8080"},
		{"IMAP.Host", c.IMAP.Host, EmbeddedIMAP},
		{"SMTP.Host", c.SMTP.Host, EmbeddedSMTP},
		{"IMAP.User", c.IMAP.User, "betterdays@localhost"},
		{"SMTP.User", c.SMTP.User, ""},
		{"Staff", len(c.Staff), 0},
		{"RetryBase", c.RetryBase, 30 * time.Second},
		{"GiveUpAfter", c.GiveUpAfter, 48 * time.Hour},
		{"PollInterval", c.PollInterval, time.Minute},
		{"MaxMessageBytes", c.MaxMessageBytes, int64(5 << 20)},
		{"ReplyLimit", c.ReplyLimit, 10},
		{"NoIdle", c.NoIdle, false},
		{"ProcessedFolder", c.ProcessedFolder, ""},
		{"SecretFile", c.SecretFile, "./mailbot.db.secret"},
		{"PerMinute", c.PerMinute, 30},
		{"PerDay", c.PerDay, 10000},
		{"Connections", c.Connections, 3},
		{"ConfirmWithin", c.ConfirmWithin, 30 * 24 * time.Hour},
		{"SoftBounces", c.SoftBounces, 3},
		{"SoftBounceWindow", c.SoftBounceWindow, 30 * 24 * time.Hour},
		{"MaxPlaces", c.MaxPlaces, 4},
		{"StaffDomainProof", c.StaffDomainProof, false},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("FromEnv(empty).%s = %v, want %v", tt.what, tt.got, tt.want)
		}
	}
}

func TestFromEnvEndpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		imap, smtp string
		wantIMAP   Endpoint // without the password
		wantSMTP   Endpoint
	}{
		{
			"imaps://bot@mail.example.org", "smtps://bot@mail.example.org",
			Endpoint{Host: "mail.example.org:993", TLS: true, User: "bot"},
			Endpoint{Host: "mail.example.org:465", TLS: true, User: "bot"},
		},
		{
			"imap://bot@mail.example.org", "smtp://bot@mail.example.org",
			Endpoint{Host: "mail.example.org:143", User: "bot"},
			Endpoint{Host: "mail.example.org:587", User: "bot"},
		},
		{
			"imap://bot@mail.example.org:1143", "smtps://bot@mail.example.org:2465",
			Endpoint{Host: "mail.example.org:1143", User: "bot"},
			Endpoint{Host: "mail.example.org:2465", TLS: true, User: "bot"},
		},
		{ // no user: a server that needs no login
			"imap://127.0.0.1:1143", "smtp://127.0.0.1:2525",
			Endpoint{Host: "127.0.0.1:1143"},
			Endpoint{Host: "127.0.0.1:2525"},
		},
		{
			"imaps://bot@[::1]", "smtp://bot@[::1]:25",
			Endpoint{Host: "[::1]:993", TLS: true, User: "bot"},
			Endpoint{Host: "[::1]:25", User: "bot"},
		},
		{ // Microsoft 365: the user name is itself an address
			"imaps://betterdays@council.gov.uk@outlook.office365.com:993",
			"smtp://betterdays@council.gov.uk@smtp.office365.com:587",
			Endpoint{Host: "outlook.office365.com:993", TLS: true, User: "betterdays@council.gov.uk"},
			Endpoint{Host: "smtp.office365.com:587", User: "betterdays@council.gov.uk"},
		},
		{ // the same, %40-escaped
			"imaps://betterdays%40council.gov.uk@outlook.office365.com",
			"smtp://betterdays%40council.gov.uk@smtp.office365.com",
			Endpoint{Host: "outlook.office365.com:993", TLS: true, User: "betterdays@council.gov.uk"},
			Endpoint{Host: "smtp.office365.com:587", User: "betterdays@council.gov.uk"},
		},
	}
	for _, tt := range tests {
		c, err := FromEnv(ttEnv(map[string]string{"MAILBOT_IMAP": tt.imap, "MAILBOT_SMTP": tt.smtp}))
		if err != nil {
			t.Errorf("FromEnv(%s, %s) error = %v, want nil", tt.imap, tt.smtp, err)
			continue
		}
		if c.Embedded {
			t.Errorf("FromEnv(%s, %s).Embedded = true, want false", tt.imap, tt.smtp)
		}
		if c.IMAP != tt.wantIMAP {
			t.Errorf("FromEnv(%s).IMAP = %+v, want %+v", tt.imap, c.IMAP, tt.wantIMAP)
		}
		if c.SMTP != tt.wantSMTP {
			t.Errorf("FromEnv(%s).SMTP = %+v, want %+v", tt.smtp, c.SMTP, tt.wantSMTP)
		}
	}
}

func TestFromEnvPasswords(t *testing.T) {
	t.Parallel()
	c, err := FromEnv(ttEnv(map[string]string{
		"MAILBOT_IMAP":          "imaps://bot@mail.example.org",
		"MAILBOT_SMTP":          "smtps://bot@mail.example.org",
		"MAILBOT_IMAP_PASSWORD": "imap-secret",
		"MAILBOT_SMTP_PASSWORD": "smtp-secret",
	}))
	if err != nil {
		t.Fatalf("FromEnv error = %v, want nil", err)
	}
	if got, want := c.IMAP.Password, "imap-secret"; got != want {
		t.Errorf("IMAP.Password = %q, want %q", got, want)
	}
	if got, want := c.SMTP.Password, "smtp-secret"; got != want {
		t.Errorf("SMTP.Password = %q, want %q", got, want)
	}
}

func TestFromEnvTokenCmd(t *testing.T) {
	t.Parallel()
	const imapCmd = "az account get-access-token --resource https://outlook.office.com --query accessToken -o tsv"
	const smtpCmd = "oauth2l fetch --credentials /etc/mailbot/client.json --scope https://mail.google.com/"
	c, err := FromEnv(ttEnv(map[string]string{
		"MAILBOT_IMAP":           "imaps://bot@mail.example.org",
		"MAILBOT_SMTP":           "smtp://bot@mail.example.org",
		"MAILBOT_IMAP_TOKEN_CMD": imapCmd,
		"MAILBOT_SMTP_TOKEN_CMD": " " + smtpCmd + "\n",
	}))
	if err != nil {
		t.Fatalf("FromEnv error = %v, want nil", err)
	}
	for _, tt := range []struct {
		name string
		ep   Endpoint
		want string
	}{{"IMAP", c.IMAP, imapCmd}, {"SMTP", c.SMTP, smtpCmd}} {
		if tt.ep.TokenCmd != tt.want || tt.ep.Password != "" {
			t.Errorf("%s: TokenCmd, Password = %q, %q; want %q, empty", tt.name, tt.ep.TokenCmd, tt.ep.Password, tt.want)
		}
		if tt.ep.tokens == nil || tt.ep.tokens.cmd != tt.want {
			t.Errorf("%s: no token source for the command", tt.name)
		}
	}
}

// A token command is refused where it cannot be used, naming the variables
// and never quoting the command, which may hold a client secret.
func TestFromEnvTokenCmdErrors(t *testing.T) {
	t.Parallel()
	const cmd = "get-token --client-secret s3cr3t"
	real := map[string]string{"MAILBOT_IMAP": "imaps://bot@mail.example.org", "MAILBOT_SMTP": "smtps://bot@mail.example.org"}
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"IMAP password and token", map[string]string{"MAILBOT_IMAP_PASSWORD": "pw", "MAILBOT_IMAP_TOKEN_CMD": cmd},
			[]string{"MAILBOT_IMAP_PASSWORD and MAILBOT_IMAP_TOKEN_CMD"}},
		{"SMTP password and token", map[string]string{"MAILBOT_SMTP_PASSWORD": "pw", "MAILBOT_SMTP_TOKEN_CMD": cmd},
			[]string{"MAILBOT_SMTP_PASSWORD and MAILBOT_SMTP_TOKEN_CMD"}},
		{"no user", map[string]string{"MAILBOT_IMAP": "imaps://mail.example.org", "MAILBOT_IMAP_TOKEN_CMD": cmd},
			[]string{"MAILBOT_IMAP_TOKEN_CMD", "no user name"}},
		{"embedded", map[string]string{"MAILBOT_IMAP": "", "MAILBOT_SMTP": "", "MAILBOT_SMTP_TOKEN_CMD": cmd},
			[]string{"MAILBOT_SMTP_TOKEN_CMD", "real mail server only"}},
	}
	for _, tt := range tests {
		env := map[string]string{}
		for k, v := range real {
			env[k] = v
		}
		for k, v := range tt.env {
			env[k] = v
		}
		_, err := FromEnv(ttEnv(env))
		if err == nil {
			t.Errorf("%s: FromEnv error = nil, want one", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: FromEnv error = %q, want it to contain %q", tt.name, err, w)
			}
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: FromEnv error = %q, want no part of the command", tt.name, err)
		}
	}
}

func TestFromEnvSettings(t *testing.T) {
	t.Parallel()
	c, err := FromEnv(ttEnv(map[string]string{
		"MAILBOT_DB":       "/var/lib/mailbot/bot.db",
		"MAILBOT_ADDRESS":  "Better Days <BetterDays@Council.gov.uk>",
		"MAILBOT_STAFF":    " Officer@Council.gov.uk, Jo Bloggs <JO@council.gov.uk> ,,",
		"MAILBOT_HTTP":     "0.0.0.0:9000",
		"MAILBOT_BASE_URL": "https://betterdays.council.gov.uk/bot",
		"MAILBOT_TZ":       "America/New_York",
		"MAILBOT_POLL":     "30s",
		"MAILBOT_IDLE":     "Off",

		"MAILBOT_REPLY_LIMIT":      "3",
		"MAILBOT_PROCESSED_FOLDER": "Processed",

		"MAILBOT_SECRET_FILE":        "/etc/mailbot/secret",
		"MAILBOT_SEND_PER_MINUTE":    "0",
		"MAILBOT_SEND_PER_DAY":       "500",
		"MAILBOT_SMTP_CONNECTIONS":   "8",
		"MAILBOT_CONFIRM_WITHIN":     "7d",
		"MAILBOT_SOFT_BOUNCES":       "5",
		"MAILBOT_SOFT_BOUNCE_WINDOW": "72h",
	}))
	if err != nil {
		t.Fatalf("FromEnv error = %v, want nil", err)
	}
	tests := []struct {
		what      string
		got, want any
	}{
		{"DB", c.DB, "/var/lib/mailbot/bot.db"},
		{"Address", c.Address, "betterdays@council.gov.uk"},
		{"Staff", strings.Join(c.Staff, ","), "officer@council.gov.uk,jo@council.gov.uk"},
		{"HTTP", c.HTTP, "0.0.0.0:9000"},
		{"BaseURL", c.BaseURL.String(), "https://betterdays.council.gov.uk/bot"},
		{"TZ", c.TZ.String(), "America/New_York"},
		{"PollInterval", c.PollInterval, 30 * time.Second},
		{"NoIdle", c.NoIdle, true},
		{"ReplyLimit", c.ReplyLimit, 3},
		{"ProcessedFolder", c.ProcessedFolder, "Processed"},
		{"IMAP.User", c.IMAP.User, "betterdays@council.gov.uk"},
		{"SecretFile", c.SecretFile, "/etc/mailbot/secret"},
		{"PerMinute", c.PerMinute, 0},
		{"PerDay", c.PerDay, 500},
		{"Connections", c.Connections, 8},
		{"ConfirmWithin", c.ConfirmWithin, 7 * 24 * time.Hour},
		{"SoftBounces", c.SoftBounces, 5},
		{"SoftBounceWindow", c.SoftBounceWindow, 72 * time.Hour},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("FromEnv(...).%s = %v, want %v", tt.what, tt.got, tt.want)
		}
	}
}

func TestFromEnvRefused(t *testing.T) {
	t.Parallel()
	both := func(extra map[string]string) map[string]string {
		m := map[string]string{"MAILBOT_IMAP": "imaps://bot@mail.example.org", "MAILBOT_SMTP": "smtps://bot@mail.example.org"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
		want []string // every one must appear in the error
	}{
		{"password in IMAP URL", both(map[string]string{"MAILBOT_IMAP": "imaps://bot:hunter2@mail.example.org"}),
			[]string{"MAILBOT_IMAP", "_PASSWORD"}},
		{"password in SMTP URL", both(map[string]string{"MAILBOT_SMTP": "smtp://bot:hunter2@mail.example.org"}),
			[]string{"MAILBOT_SMTP", "_PASSWORD"}},
		{"only IMAP", map[string]string{"MAILBOT_IMAP": "imaps://bot@mail.example.org"},
			[]string{"MAILBOT_IMAP", "MAILBOT_SMTP", "both"}},
		{"only SMTP", map[string]string{"MAILBOT_SMTP": "smtps://bot@mail.example.org"},
			[]string{"MAILBOT_IMAP", "MAILBOT_SMTP", "both"}},
		{"IMAP scheme", both(map[string]string{"MAILBOT_IMAP": "pop3://bot@mail.example.org"}),
			[]string{"MAILBOT_IMAP", "pop3"}},
		{"SMTP given an IMAP scheme", both(map[string]string{"MAILBOT_SMTP": "imaps://bot@mail.example.org"}),
			[]string{"MAILBOT_SMTP", "imaps"}},
		{"no host", both(map[string]string{"MAILBOT_SMTP": "smtps://"}),
			[]string{"MAILBOT_SMTP", "no host"}},
		{"bad port", both(map[string]string{"MAILBOT_IMAP": "imaps://bot@mail.example.org:imap"}),
			[]string{"MAILBOT_IMAP"}},
		{"TZ", map[string]string{"MAILBOT_TZ": "Europe/Londinium"},
			[]string{"MAILBOT_TZ"}},
		{"embedded SMTP port", map[string]string{"MAILBOT_EMBEDDED_SMTP": "2526"},
			[]string{"MAILBOT_EMBEDDED_SMTP", "host:port"}},
		{"embedded IMAP port", map[string]string{"MAILBOT_EMBEDDED_IMAP": "localhost"},
			[]string{"MAILBOT_EMBEDDED_IMAP", "host:port"}},
		{"base URL not http", map[string]string{"MAILBOT_BASE_URL": "ftp://example.org"},
			[]string{"MAILBOT_BASE_URL"}},
		{"base URL no host", map[string]string{"MAILBOT_BASE_URL": "betterdays.example.org/bot"},
			[]string{"MAILBOT_BASE_URL"}},
		{"staff entry", map[string]string{"MAILBOT_STAFF": "officer@council.gov.uk, not an address"},
			[]string{"MAILBOT_STAFF", "not an address"}},
		{"address", map[string]string{"MAILBOT_ADDRESS": "betterdays"},
			[]string{"MAILBOT_ADDRESS"}},
		{"HTTP", map[string]string{"MAILBOT_HTTP": "8080"},
			[]string{"MAILBOT_HTTP"}},
		{"poll", map[string]string{"MAILBOT_POLL": "often"},
			[]string{"MAILBOT_POLL"}},
		{"max message", map[string]string{"MAILBOT_MAX_MESSAGE_BYTES": "100"},
			[]string{"MAILBOT_MAX_MESSAGE_BYTES"}},
		{"digest", map[string]string{"MAILBOT_DIGEST": "8am"},
			[]string{"MAILBOT_DIGEST", "08:00"}},
		{"digest hour", map[string]string{"MAILBOT_DIGEST": "25:00"},
			[]string{"MAILBOT_DIGEST"}},
		{"reply limit", map[string]string{"MAILBOT_REPLY_LIMIT": "0"},
			[]string{"MAILBOT_REPLY_LIMIT"}},
		{"idle", map[string]string{"MAILBOT_IDLE": "sometimes"},
			[]string{"MAILBOT_IDLE", "sometimes"}},
		{"connections", map[string]string{"MAILBOT_SMTP_CONNECTIONS": "0"},
			[]string{"MAILBOT_SMTP_CONNECTIONS"}},
		{"per day", map[string]string{"MAILBOT_SEND_PER_DAY": "-1"},
			[]string{"MAILBOT_SEND_PER_DAY"}},
		{"confirm within", map[string]string{"MAILBOT_CONFIRM_WITHIN": "a month"},
			[]string{"MAILBOT_CONFIRM_WITHIN"}},
		{"soft bounce window", map[string]string{"MAILBOT_SOFT_BOUNCE_WINDOW": "0d"},
			[]string{"MAILBOT_SOFT_BOUNCE_WINDOW"}},
		{"staff proof", map[string]string{"MAILBOT_STAFF_PROOF": "dmarc"},
			[]string{"MAILBOT_STAFF_PROOF", "address or domain"}},
		{"max places", map[string]string{"MAILBOT_MAX_PLACES": "0"},
			[]string{"MAILBOT_MAX_PLACES"}},
		{"look-alike authserv-id", map[string]string{"MAILBOT_AUTHSERV_ID": "bd.te\u017ft"},
			[]string{"MAILBOT_AUTHSERV_ID", "ASCII"}},
		{"every problem at once", map[string]string{"MAILBOT_TZ": "Nowhere/Land", "MAILBOT_STAFF": "@@", "MAILBOT_BASE_URL": "x"},
			[]string{"MAILBOT_TZ", "MAILBOT_STAFF", "MAILBOT_BASE_URL"}},
	}
	for _, tt := range tests {
		_, err := FromEnv(ttEnv(tt.env))
		if err == nil {
			t.Errorf("%s: FromEnv(%v) error = nil, want one naming %v", tt.name, tt.env, tt.want)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: FromEnv(%v) error = %q, want it to contain %q", tt.name, tt.env, err, w)
			}
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: FromEnv error = %q, want no password in it", tt.name, err)
		}
	}
}

func TestConfigEndpointLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host string
		want bool
	}{
		{"127.0.0.1:25", true},
		{"127.0.0.2:25", true},
		{"[::1]:25", true},
		{"localhost:587", true},
		{"mail.example.org:587", false},
		{"192.168.1.10:25", false},
		{"[2001:db8::1]:25", false},
		{"localhost.example.org:25", false},
		{"127.0.0.1", false}, // not host:port
	}
	for _, tt := range tests {
		if got := (Endpoint{Host: tt.host}).Loopback(); got != tt.want {
			t.Errorf("Endpoint{Host: %q}.Loopback() = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestConfigEndpointLogHidesPassword(t *testing.T) {
	t.Parallel()
	const secret = "correct-horse-battery-staple"
	for _, ep := range []Endpoint{
		{Host: "mail.example.org:993", TLS: true, User: "bot@example.org", Password: secret},
		{Host: "mail.example.org:587", User: "bot@example.org", Password: secret},
	} {
		for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
			"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
			"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		} {
			var buf bytes.Buffer
			log := slog.New(h(&buf))
			log.Info("x", "ep", ep)
			log.With("ep", ep).Info("y")
			log.Info("z", slog.Group("g", "ep", ep))
			out := buf.String()
			if strings.Contains(out, secret) {
				t.Errorf("%s log of %v = %q, want no password", name, ep.Host, out)
			}
			for _, want := range []string{ep.Host, ep.User} {
				if !strings.Contains(out, want) {
					t.Errorf("%s log of %v = %q, want it to contain %q", name, ep.Host, out, want)
				}
			}
		}
	}
}

func TestConfigEndpointLogHidesTokenCmd(t *testing.T) {
	t.Parallel()
	const secret = "client_secret=s3cr3t"
	ep := Endpoint{Host: "outlook.office365.com:993", TLS: true, User: "bot@example.org", TokenCmd: "get-token " + secret}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "ep", ep)
	if out := buf.String(); strings.Contains(out, secret) || !strings.Contains(out, "ep.auth=oauth") {
		t.Errorf("log of an endpoint with a token command = %q, want ep.auth=oauth and no command", out)
	}
}

func TestConfigIsOwnAddress(t *testing.T) {
	t.Parallel()
	c, err := FromEnv(ttEnv(map[string]string{"MAILBOT_ADDRESS": "BetterDays@Council.gov.uk"}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr string
		want bool
	}{
		{"betterdays@council.gov.uk", true},
		{"BetterDays@COUNCIL.GOV.UK", true},
		{"betterdays+bounce@council.gov.uk", true},
		{"BETTERDAYS+x+y@council.gov.uk", true},
		{"betterday@council.gov.uk", false},
		{"betterdays@council.gov.uk.evil.example", false},
		{"betterdays@evil.example", false},
		{"other+betterdays@council.gov.uk", false},
		{"betterdays", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := c.IsOwnAddress(tt.addr); got != tt.want {
			t.Errorf("IsOwnAddress(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// Regression: IsOwnAddress once stripped a plus-tag from the address it was
// given but compared with c.Address as configured, so a project address that itself has a plus (Gmail users'
// "council+betterdays@gmail.com") was not recognised as the bot's own, and
// mail from it was answered.
func TestConfigIsOwnAddressPlusInProjectAddress(t *testing.T) {
	t.Parallel()
	c, err := FromEnv(ttEnv(map[string]string{"MAILBOT_ADDRESS": "council+betterdays@example.org"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"council+betterdays@example.org", "Council+BetterDays@example.org"} {
		if !c.IsOwnAddress(addr) {
			t.Errorf("IsOwnAddress(%q) = false, want true (MAILBOT_ADDRESS is %s)", addr, c.Address)
		}
	}
}
