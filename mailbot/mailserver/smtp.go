package mailserver

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

const (
	maxMessageBytes = 50 << 20
	maxRecipients   = 1000
)

func (s *Server) newSMTPServer() *smtp.Server {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: s, conn: c}, nil
	}))
	srv.Domain = s.hostname
	srv.MaxMessageBytes = maxMessageBytes
	srv.MaxRecipients = maxRecipients
	srv.ReadTimeout = 5 * time.Minute
	srv.WriteTimeout = time.Minute
	// There is no TLS; clients configured to AUTH must still get in.
	srv.AllowInsecureAuth = true
	srv.ErrorLog = libLogger{log: s.log, lib: "go-smtp"}
	return srv
}

// smtpSession is one SMTP connection's transaction state. go-smtp calls it
// from the connection's goroutine only.
type smtpSession struct {
	srv   *Server
	conn  *smtp.Conn
	from  string
	rcpts []string // distinct mailbox keys, in RCPT order
}

var _ smtp.AuthSession = (*smtpSession)(nil)

func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

// Auth accepts any credentials: authentication is optional here and proves
// nothing, it only keeps clients that insist on AUTH working.
func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error { return nil }), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	key, err := mailboxKey(to)
	if err != nil {
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Bad recipient address: " + err.Error()}
	}
	for _, k := range ss.rcpts {
		if k == key {
			return nil // one copy per mailbox, as a real MTA would
		}
	}
	ss.rcpts = append(ss.rcpts, key)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	msg, err := io.ReadAll(r)
	if err != nil {
		// go-smtp only maps a bare *SMTPError (e.g. message too large) to
		// its own reply code, so don't wrap it.
		var smtpErr *smtp.SMTPError
		if errors.As(err, &smtpErr) {
			return smtpErr
		}
		return fmt.Errorf("read DATA: %w", err)
	}
	env := ss.envelope()
	for _, rcpt := range ss.rcpts {
		if err := ss.srv.deliver(env, rcpt, msg); err != nil {
			ss.srv.log.Warn("embedded SMTP delivery failed", "rcpt", rcpt, "err", err)
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Delivery failed"}
		}
	}
	return nil
}

func (ss *smtpSession) envelope() envelope {
	env := envelope{helo: ss.conn.Hostname(), from: ss.from, remoteIP: "unknown"}
	if host, _, err := net.SplitHostPort(ss.conn.Conn().RemoteAddr().String()); err == nil {
		env.remoteIP = host
		if ip, err := netip.ParseAddr(host); err == nil {
			env.loopback = ip.Unmap().IsLoopback()
		}
	}
	return env
}

func (ss *smtpSession) Reset() {
	ss.from = ""
	ss.rcpts = nil
}

func (ss *smtpSession) Logout() error { return nil }
