package realmail

import (
	"fmt"
	"net"
	netmail "net/mail"
	"strings"

	"github.com/emersion/go-milter"
)

// AuthservID is the authserv-id (RFC 8601) the test Postfix writes in its
// Authentication-Results. It has an s and a k, the letters Unicode case
// folding matches with U+017F LATIN SMALL LETTER LONG S and U+212A KELVIN
// SIGN, so a forged look-alike of it can be tried.
const AuthservID = "mailcheck.example.test"

// ownDomain is the domain whose SPF record, in the world these servers play,
// names this Postfix: mail it relays for a logged-in user with an envelope
// sender in it passes SPF.
const ownDomain = "example.test"

// stampPolicy is what a port's filter says about a message.
type stampPolicy int

const (
	// stampAlways adds a result for every message, "auth=none" for a
	// sender who did not log in, as rspamd and OpenDMARC write one for
	// every message.
	stampAlways stampPolicy = iota
	// stampProven adds a result only when there is something proven to
	// say, as OpenDKIM does by default (AlwaysAddARHeader no): a stranger's
	// message then reaches the bot with whatever forged results survived
	// the strip on top.
	stampProven
)

// authFilter is the receiving server's Authentication-Results filter, a
// milter (Postfix has no Authentication-Results of its own). As every such
// filter does (RFC 8601 section 5) it removes each incoming field whose
// authserv-id is its own, compared as ASCII case-insensitive the way real
// strip rules compare, and adds its own on top. It runs in the test process
// on loopback.
type authFilter struct {
	srv  *milter.Server
	ln   net.Listener
	addr string // host:port, for smtpd_milters = inet:…
}

// startAuthFilter listens on a fresh loopback port and serves policy.
func startAuthFilter(policy stampPolicy) (*authFilter, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("authentication filter: %w", err)
	}
	f := &authFilter{ln: ln, addr: ln.Addr().String()}
	f.srv = &milter.Server{
		NewMilter: func() milter.Milter { return &authMessage{policy: policy} },
		Actions:   milter.OptAddHeader | milter.OptChangeHeader,
		// Only the envelope sender and the header are read.
		Protocol: milter.OptNoConnect | milter.OptNoHelo | milter.OptNoRcptTo | milter.OptNoBody,
	}
	go f.srv.Serve(ln)
	return f, nil
}

func (f *authFilter) close() error {
	if err := f.srv.Close(); err != nil {
		return fmt.Errorf("authentication filter %s: %w", f.addr, err)
	}
	return nil
}

// authMessage is the filter's state for one message.
type authMessage struct {
	milter.NoOpMilter
	policy   stampPolicy
	login    string // SASL login name, "" for none
	mailFrom string // envelope sender
	from     string // the From header's address, "" if not one address
	nAR      int    // Authentication-Results fields seen so far
	forged   []int  // 1-based indexes among them of those naming us
}

var _ milter.Milter = (*authMessage)(nil)

// MailFrom reads the login from Postfix's {auth_authen} macro, which it
// sends with MAIL FROM (milter_mail_macros).
func (a *authMessage) MailFrom(from string, m *milter.Modifier) (milter.Response, error) {
	a.login = m.Macros["{auth_authen}"]
	a.mailFrom = from
	return milter.RespContinue, nil
}

func (a *authMessage) Header(name, value string, m *milter.Modifier) (milter.Response, error) {
	switch {
	case asciiEqualFold(name, "Authentication-Results"):
		a.nAR++
		if asciiEqualFold(authservIDOf(value), AuthservID) {
			a.forged = append(a.forged, a.nAR)
		}
	case asciiEqualFold(name, "From"):
		if list, err := netmail.ParseAddressList(value); err == nil && len(list) == 1 {
			a.from = list[0].Address
		}
	}
	return milter.RespContinue, nil
}

// Body is the end of the message, where a milter may change the header.
func (a *authMessage) Body(m *milter.Modifier) (milter.Response, error) {
	// Last first, so removing one does not renumber those still to go.
	for i := len(a.forged) - 1; i >= 0; i-- {
		// An empty value deletes the field (Postfix, like sendmail).
		if err := m.ChangeHeader(a.forged[i], "Authentication-Results", ""); err != nil {
			return nil, fmt.Errorf("remove forged Authentication-Results: %w", err)
		}
	}
	if v := a.results(); v != "" {
		// Index 0: above every field the sender wrote.
		if err := m.InsertHeader(0, "Authentication-Results", v); err != nil {
			return nil, fmt.Errorf("add Authentication-Results: %w", err)
		}
	}
	return milter.RespAccept, nil
}

// results is the value of our Authentication-Results, or "" for none.
func (a *authMessage) results() string {
	if a.login == "" {
		if a.policy == stampProven {
			return ""
		}
		// RFC 8601 section 2.7.4: none, SMTP AUTH was not attempted.
		return AuthservID + "; auth=none"
	}
	r := []string{"auth=pass smtp.auth=" + a.login}
	// Without smtpd_sender_login_maps a logged-in user may use any
	// envelope sender and any From; SPF passes for any in our own domain,
	// since our SPF record names this server, and DMARC then passes for a
	// From in the same domain (relaxed alignment, RFC 7489 section 3.1.2).
	// That is what a real server concludes, and why a domain's pass says
	// nothing about which of its people wrote.
	if _, envDomain, ok := strings.Cut(a.mailFrom, "@"); ok && asciiEqualFold(envDomain, ownDomain) {
		r = append(r, "spf=pass smtp.mailfrom="+a.mailFrom)
		if _, fromDomain, ok := strings.Cut(a.from, "@"); ok && asciiEqualFold(fromDomain, envDomain) {
			r = append(r, "dmarc=pass header.from="+strings.ToLower(fromDomain))
		}
	}
	return AuthservID + "; " + strings.Join(r, "; ")
}

// Abort is RSET or a dropped transaction: forget the message.
func (a *authMessage) Abort(m *milter.Modifier) error {
	*a = authMessage{policy: a.policy}
	return nil
}

// authservIDOf returns the authserv-id an Authentication-Results value
// starts with (RFC 8601 section 2.2), after any white space and comments.
func authservIDOf(v string) string {
	v = strings.TrimLeft(v, " \t\r\n")
	for strings.HasPrefix(v, "(") {
		depth := 0
		i := 0
		for ; i < len(v); i++ {
			if v[i] == '(' {
				depth++
			} else if v[i] == ')' {
				if depth--; depth == 0 {
					break
				}
			}
		}
		if i == len(v) {
			return ""
		}
		v = strings.TrimLeft(v[i+1:], " \t\r\n")
	}
	if i := strings.IndexAny(v, "; \t\r\n("); i >= 0 {
		v = v[:i]
	}
	return v
}

// asciiEqualFold compares as the strip rules of real servers do: A-Z
// equals a-z, every other byte only itself. Unicode case folding
// (strings.EqualFold) would also match "ſ" with "s" and the Kelvin sign
// with "k", and so remove the forgeries the bot must refuse itself. The
// harness has its own, not the bot's: it plays the server, and must not
// share a mistake with what it tests.
func asciiEqualFold(a, b string) bool { return asciiLower(a) == asciiLower(b) }

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
