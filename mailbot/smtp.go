package mailbot

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/net/idna"
)

// smtpSender sends over one SMTP connection, kept open between messages and
// opened again when it breaks.
type smtpSender struct {
	ep     Endpoint
	helo   string
	log    *slog.Logger
	client *smtp.Client
	// data is the connection under client as go-smtp writes to it, nil
	// when go-smtp's TLS is above it (STARTTLS): see writeData.
	data    *batchConn
	stuffed []byte // writeData's buffer, kept between messages
}

var _ Sender = (*smtpSender)(nil)

// NewSMTPSender returns a Sender for the server at ep.
func NewSMTPSender(ep Endpoint, helo string, log *slog.Logger) Sender {
	if ep.TokenCmd != "" {
		// Keep one token across reconnections even for an Endpoint that did
		// not come from FromEnv.
		ep.tokens = ep.tokenSource("MAILBOT_SMTP_TOKEN_CMD")
	}
	return &smtpSender{ep: ep, helo: helo, log: log}
}

func (s *smtpSender) Send(ctx context.Context, from, to string, msg []byte) error {
	return s.SendAfter(ctx, from, to, msg, nil)
}

// SendAfter writes the whole transaction but the final "." first, and
// calls ready (when not nil) only then: the slow part of one message
// overlaps whatever the caller waits for, and the server still cannot
// have taken it before ready returns. If ready fails, the connection is
// closed without the ".", and the server must drop the message (RFC 5321
// section 4.1.1.4).
func (s *smtpSender) SendAfter(ctx context.Context, from, to string, msg []byte, ready func() error) error {
	if s.client == nil {
		c, data, err := dialSMTP(ctx, s.ep, s.helo)
		if err != nil {
			return &UnavailableError{Err: err}
		}
		s.client, s.data = c, data
	}
	c := s.client
	// go-smtp takes no context: closing the connection is how a deadline
	// or shutdown interrupts a stuck server.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	err := s.transaction(c, from, to, msg, ready)
	interrupted := !stop()
	var se *smtp.SMTPError
	var nr *notReadyError
	switch {
	case err == nil:
		// The server took it, even if the deadline then closed the
		// connection: report it sent, or it would be sent twice.
		if interrupted {
			s.drop()
		}
		return nil
	case errors.Is(err, errNeedsSMTPUTF8):
		return &PermanentError{Err: err}
	case errors.As(err, &nr):
		s.drop()
		return nr.err
	case errors.As(err, &se):
		// The server answered: the connection is still good for the next
		// message once the failed transaction is reset.
		if interrupted || c.Reset() != nil {
			s.drop()
		}
		e := fmt.Errorf("%d %s", se.Code, se.Message)
		switch {
		case se.Code == 530 || se.Code == 421:
			// "Authentication required" or "closing": about the session,
			// not this message (RFC 4954 section 6, RFC 5321 section 3.8).
			s.drop()
			return &UnavailableError{Err: e}
		case se.Code >= 500:
			return &PermanentError{Err: e}
		}
		return e
	default:
		s.drop()
		if err == nil {
			err = ctx.Err()
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("SMTP %s: the server closed the connection without answering: %w", s.ep.Host, err)
		}
		return fmt.Errorf("SMTP %s: %w", s.ep.Host, err)
	}
}

// notReadyError is ready's failure: the message was not sent.
type notReadyError struct{ err error }

func (e *notReadyError) Error() string { return e.err.Error() }

// transaction is go-smtp's SendMail for one recipient, with ready called
// before the end of the data.
func (s *smtpSender) transaction(c *smtp.Client, from, to string, msg []byte, ready func() error) error {
	var opts *smtp.MailOptions
	to = asciiDomain(to)
	if !isASCII(from) || !isASCII(to) {
		if ok, _ := c.Extension("SMTPUTF8"); !ok {
			return errNeedsSMTPUTF8
		}
		opts = &smtp.MailOptions{UTF8: true} // RFC 6531
	}
	if err := c.Mail(from, opts); err != nil {
		return err
	}
	if err := c.Rcpt(to, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if err := s.writeData(w, msg); err != nil {
		return err
	}
	if ready != nil {
		if err := ready(); err != nil {
			return &notReadyError{err}
		}
	}
	return w.Close()
}

// writeData writes msg as the data of the transaction w began, but not
// the final ".": the same bytes as w.Write(msg) would write, faster.
// go-smtp's writer (net/textproto's DotWriter) stuffs dots and ends lines
// a byte at a time through a 4 KB buffer, and that was a seventh of what
// a newsletter copy cost. When the connection go-smtp writes to is ours
// (plain SMTP, or smtps, where TLS is beneath it), every line but the
// last is stuffed here, a line at a time, and written to it straight:
// go-smtp's buffer is empty once the server has answered DATA, so this
// goes out in order. The last line goes through w, which then ends the
// data as it would have. With STARTTLS, go-smtp's TLS is above our
// connection and all of msg goes through w.
func (s *smtpSender) writeData(w io.Writer, msg []byte) error {
	// Up to just after the last line break before the final one: where
	// DotWriter is at the start of a line, as it is when it begins.
	cut := 0
	if len(msg) > 1 {
		cut = bytes.LastIndexByte(msg[:len(msg)-1], '\n') + 1
	}
	if s.data == nil || cut == 0 {
		_, err := w.Write(msg)
		return err
	}
	s.stuffed = dotStuff(s.stuffed[:0], msg[:cut])
	for b := s.stuffed; len(b) > 0; {
		n := min(len(b), batchMax/2)
		if _, err := s.data.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	if cap(s.stuffed) > 1<<20 {
		s.stuffed = nil // a large attachment's room is not kept
	}
	_, err := w.Write(msg[cut:])
	return err
}

// dotStuff appends msg, whole lines each ending in "\n", as DotWriter
// writes them from the start of a line: a line's leading "." doubled, and
// a "\r" put before each "\n" that DotWriter does not see as ending
// "\r\n", which is one after an even number of "\r"s (it pairs a "\r"
// with what follows it, so in "\r\r\n" the second "\r" is data).
func dotStuff(dst, msg []byte) []byte {
	for len(msg) > 0 {
		i := bytes.IndexByte(msg, '\n')
		if i < 0 {
			i = len(msg) // not whole lines: cannot happen
		}
		line := msg[:i]
		if len(line) > 0 && line[0] == '.' {
			dst = append(dst, '.')
		}
		dst = append(dst, line...)
		if i == len(msg) {
			break
		}
		crs := 0
		for crs < len(line) && line[len(line)-1-crs] == '\r' {
			crs++
		}
		if crs%2 == 0 {
			dst = append(dst, '\r')
		}
		dst = append(dst, '\n')
		msg = msg[i+1:]
	}
	return dst
}

// errNeedsSMTPUTF8 is a message to an address with a non-ASCII local
// part through a server that cannot take one (RFC 6531): no retry will
// change that.
var errNeedsSMTPUTF8 = errors.New("the address is not ASCII, and the server does not offer SMTPUTF8")

// asciiDomain writes addr's domain in ASCII (IDNA A-labels, RFC 5891),
// which every server takes: mary@bücher.example goes as
// mary@xn--bcher-kva.example.
func asciiDomain(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || isASCII(domain) {
		return addr
	}
	a, err := idna.Lookup.ToASCII(domain)
	if err != nil {
		return addr
	}
	return local + "@" + a
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func (s *smtpSender) drop() {
	if s.client != nil {
		s.client.Close()
		s.client, s.data = nil, nil
	}
}

func (s *smtpSender) Close() error {
	if s.client == nil {
		return nil
	}
	c := s.client
	s.client, s.data = nil, nil
	if err := c.Quit(); err != nil {
		// A failed QUIT leaves the connection open (go-smtp's contract).
		c.Close()
		return err
	}
	return nil
}

// dialSMTP connects, secures and logs in: implicit TLS for smtps, STARTTLS
// whenever the server offers it, and no password or token over plaintext
// except on loopback. With a token command it logs in by OAUTHBEARER or
// XOAUTH2 and never with a password. data is the connection go-smtp
// writes to, when it is ours: not with STARTTLS.
func dialSMTP(ctx context.Context, ep Endpoint, helo string) (c *smtp.Client, data *batchConn, err error) {
	c, data, err = openSMTP(ctx, ep, helo, false)
	if err != nil {
		return nil, nil, err
	}
	if !ep.TLS {
		// go-smtp can only start TLS on a fresh client, so a server seen to
		// offer STARTTLS is dialled again to use it.
		if ok, _ := c.Extension("STARTTLS"); ok {
			c.Quit()
			if c, _, err = openSMTP(ctx, ep, helo, true); err != nil {
				return nil, nil, err
			}
			data = nil // go-smtp's TLS is above it
		} else if (ep.User != "" || ep.TokenCmd != "") && !ep.Loopback() {
			c.Close()
			return nil, nil, fmt.Errorf("SMTP %s offers no STARTTLS: refusing to send %s unencrypted (use smtps:// or a server with STARTTLS)", ep.Host, ep.secretName())
		}
	}
	if ep.TokenCmd != "" {
		if err := loginSMTPToken(ctx, c, ep); err != nil {
			c.Close()
			return nil, nil, fmt.Errorf("SMTP %s: log in as %s: %w", ep.Host, ep.User, err)
		}
	} else if ep.User != "" {
		var auth sasl.Client
		switch {
		case c.SupportsAuth(sasl.Plain):
			auth = sasl.NewPlainClient("", ep.User, ep.Password)
		case c.SupportsAuth(sasl.Login):
			auth = sasl.NewLoginClient(ep.User, ep.Password)
		default:
			c.Close()
			return nil, nil, fmt.Errorf("SMTP %s offers neither AUTH PLAIN nor LOGIN", ep.Host)
		}
		if err := c.Auth(auth); err != nil {
			c.Close()
			return nil, nil, fmt.Errorf("SMTP %s: log in as %s: %w", ep.Host, ep.User, err)
		}
	}
	return c, data, nil
}

// loginSMTPToken authenticates with an access token (RFC 7628 section 3.2;
// RFC 4954 for SMTP AUTH). 535 5.7.8 is the server refusing the token.
// go-smtp's client takes no context: the token command gets ctx, and
// closing the connection is what interrupts the exchange itself.
func loginSMTPToken(ctx context.Context, c *smtp.Client, ep Endpoint) error {
	mech, ok := oauthMech(c.SupportsAuth)
	if !ok {
		return errors.New("the server offers neither AUTH OAUTHBEARER nor AUTH XOAUTH2, and with MAILBOT_SMTP_TOKEN_CMD set the bot logs in with a token only")
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	return oauthLogin(ctx, ep.tokenSource("MAILBOT_SMTP_TOKEN_CMD"), mech, ep.User, ep.Host, c.Auth, func(err error) bool {
		var se *smtp.SMTPError
		return errors.As(err, &se) && se.Code == 535
	})
}

// openSMTP dials and greets the server, with implicit TLS for smtps and
// STARTTLS when startTLS is set.
func openSMTP(ctx context.Context, ep Endpoint, helo string, startTLS bool) (*smtp.Client, *batchConn, error) {
	dialer := &net.Dialer{Timeout: 30 * time.Second}
	host, _, _ := net.SplitHostPort(ep.Host)
	tlsConfig := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	var conn net.Conn
	var err error
	if ep.TLS {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: tlsConfig}).DialContext(ctx, "tcp", ep.Host)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", ep.Host)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("connect to SMTP server %s: %w", ep.Host, err)
	}
	bc := &batchConn{Conn: conn}
	conn = bc
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var c *smtp.Client
	if startTLS {
		if c, err = smtp.NewClientStartTLS(conn, tlsConfig); err != nil {
			return nil, nil, fmt.Errorf("SMTP %s: STARTTLS: %w", ep.Host, err)
		}
	} else {
		c = smtp.NewClient(conn)
	}
	c.CommandTimeout = time.Minute
	c.SubmissionTimeout = 5 * time.Minute
	if err := c.Hello(helo); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("SMTP %s: hello: %w", ep.Host, err)
	}
	if startTLS {
		bc = nil // go-smtp's TLS is above it: not to be written to
	}
	return c, bc, nil
}

// batchConn keeps what is written until the other side is waited for.
// SMTP is a dialogue: all that the client writes before it reads is what
// the server needs before it answers, so it can go in one write. go-smtp
// writes a message in 4 KB pieces and its final "." apart; sent together
// they cost both ends fewer system calls and wake-ups.
type batchConn struct {
	net.Conn
	buf []byte
	err error // the first failed write: the connection is done with
}

// batchMax bounds what is held back, for a message with large attachments.
const batchMax = 64 << 10

func (c *batchConn) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	c.buf = append(c.buf, p...)
	if len(c.buf) >= batchMax {
		if err := c.flush(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Read sends what was held back first: the answer waited for is to it.
func (c *batchConn) Read(p []byte) (int, error) {
	if err := c.flush(); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *batchConn) flush() error {
	if len(c.buf) > 0 && c.err == nil {
		_, c.err = c.Conn.Write(c.buf)
		c.buf = c.buf[:0]
	}
	return c.err
}
