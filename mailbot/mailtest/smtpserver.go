package mailtest

import (
	"errors"
	"io"
	"log"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPServer is a recording SMTP server on 127.0.0.1 for tests of the
// sending side: it speaks real SMTP (go-smtp's server), records every
// message it accepts (envelope and bytes), fails the commands the test
// tells it to, as maddy's testutils backend does, and counts what it saw.
// It is safe for concurrent use; it is closed when the test ends.
type SMTPServer struct {
	Addr string // host:port it listens on

	srv   *smtp.Server
	cfg   SMTPConfig
	mu    sync.Mutex
	queue []Reply
	conns int        // TCP connections accepted
	open  []net.Conn // every connection accepted, for DropConns
	ends  int        // SMTP sessions ended (connection closed)
	mails int        // MAIL commands seen
	datas int        // DATA commands answered or dropped
	drops int        // connections dropped on purpose
	msgs  []Received // messages answered 250
	// logins are "user:password" of every successful AUTH PLAIN, and the
	// mechanism's name for any other.
	logins []string
}

// Received is one message as the server received it.
type Received struct {
	From string
	To   []string
	Data []byte
}

// Reply is the server's answer to one command: Err nil accepts it; Drop
// closes the connection instead of answering (for DATA, after reading the
// data, so the client cannot know whether the message was taken); Delay
// waits first, as a slow server does.
type Reply struct {
	Err   *smtp.SMTPError
	Drop  bool
	Delay time.Duration
}

// SMTPConfig sets up an SMTPServer. Every field may be left zero: the
// server then takes any mail, with or without AUTH PLAIN.
type SMTPConfig struct {
	Addr   string // default 127.0.0.1:0
	Domain string // the name it greets with; default "rec.test"

	// Replies answer the DATA commands, one each, in order; once they run
	// out every message is accepted. Reply, when set, decides instead (n
	// counts DATA commands from 0).
	Replies []Reply
	Reply   func(n int, m Received) Reply
	// Mail and Rcpt, when set, answer MAIL FROM and RCPT TO (n counts
	// MAIL commands from 0).
	Mail func(n int, from string) Reply
	Rcpt func(to string) Reply

	// Mechanisms are the SASL mechanisms offered (default PLAIN). Password
	// checks AUTH PLAIN (default: any user and password not empty); an
	// error it returns is the answer, so a *smtp.SMTPError is sent with
	// its code. Auth, when set, serves every mechanism a client tries,
	// offered or not, but PLAIN when Password is set; it calls authed
	// once the client has proved itself.
	Mechanisms []string
	Password   func(user, pass string) error
	Auth       func(mech string, authed func()) (sasl.Server, error)
	// RequireAuth answers MAIL with 530 until the session has logged in.
	RequireAuth bool
	// MaxLineLength, when set, refuses longer command lines, as some
	// providers' servers do (RFC 5321 allows 512 octets).
	MaxLineLength int
}

// Temp and Perm are SMTP refusals as a real server words them: 451 4.3.0
// and 550 5.1.1.
func Temp(msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: msg}
}

func Perm(msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: msg}
}

// AuthRequired is what a submission server answers MAIL before AUTH
// (RFC 4954 section 6).
var AuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}

// NewSMTPServer starts a recording server; it is closed when the test ends.
func NewSMTPServer(t testing.TB, cfg SMTPConfig) *SMTPServer {
	t.Helper()
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("mailtest: SMTP server: listen on %s: %v", addr, err)
	}
	if len(cfg.Mechanisms) == 0 {
		cfg.Mechanisms = []string{sasl.Plain}
	}
	rs := &SMTPServer{Addr: ln.Addr().String(), cfg: cfg, queue: append([]Reply(nil), cfg.Replies...)}
	rs.srv = smtp.NewServer(rs)
	rs.srv.Domain = cfg.Domain
	if rs.srv.Domain == "" {
		rs.srv.Domain = "rec.test"
	}
	rs.srv.AllowInsecureAuth = true // loopback
	if cfg.MaxLineLength > 0 {
		rs.srv.MaxLineLength = cfg.MaxLineLength
	}
	rs.srv.ErrorLog = log.New(io.Discard, "", 0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		rs.srv.Serve(&recListener{Listener: ln, rs: rs})
	}()
	t.Cleanup(func() {
		rs.srv.Close()
		// Close does not see a listener Serve has not registered yet.
		ln.Close()
		<-done
	})
	return rs
}

// Conns is how many TCP connections the server accepted.
func (rs *SMTPServer) Conns() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.conns
}

// Ended is how many SMTP sessions have ended with their connection.
func (rs *SMTPServer) Ended() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.ends
}

// MailCalls is how many MAIL commands the server has handled.
func (rs *SMTPServer) MailCalls() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.mails
}

// DataCalls is how many DATA commands the server has handled.
func (rs *SMTPServer) DataCalls() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.datas
}

// Drops is how many connections the server dropped on purpose.
func (rs *SMTPServer) Drops() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.drops
}

// Accepted returns a copy of the messages answered 250, in order.
func (rs *SMTPServer) Accepted() []Received {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]Received(nil), rs.msgs...)
}

// Logins returns "user:password" for each successful AUTH PLAIN, and the
// mechanism for each other successful AUTH.
func (rs *SMTPServer) Logins() []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]string(nil), rs.logins...)
}

// DropConns closes every connection from the server's side, as a server
// restarting or timing out idle clients does, and goes on listening.
func (rs *SMTPServer) DropConns() {
	rs.mu.Lock()
	open := rs.open
	rs.open = nil
	rs.mu.Unlock()
	for _, c := range open {
		c.Close()
	}
}

// recListener counts connections as they are accepted.
type recListener struct {
	net.Listener
	rs *SMTPServer
}

func (l *recListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.rs.mu.Lock()
		l.rs.conns++
		l.rs.open = append(l.rs.open, c)
		l.rs.mu.Unlock()
	}
	return c, err
}

// NewSession implements smtp.Backend.
func (rs *SMTPServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &recSession{rs: rs, conn: c}, nil
}

// recSession is one SMTP connection's transaction state.
type recSession struct {
	rs     *SMTPServer
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
}

var _ smtp.AuthSession = (*recSession)(nil)

func (s *recSession) AuthMechanisms() []string { return s.rs.cfg.Mechanisms }

func (s *recSession) Auth(mech string) (sasl.Server, error) {
	cfg := s.rs.cfg
	if cfg.Auth != nil && (mech != sasl.Plain || cfg.Password == nil) {
		// Whatever the client tries, offered or not, is the test's to see.
		return cfg.Auth(mech, func() { s.login(mech) })
	}
	if mech != sasl.Plain || !slices.Contains(cfg.Mechanisms, sasl.Plain) {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if cfg.Password != nil {
			if err := cfg.Password(user, pass); err != nil {
				return err
			}
		} else if user == "" || pass == "" {
			return errors.New("empty credentials")
		}
		s.login(user + ":" + pass)
		return nil
	}), nil
}

func (s *recSession) login(who string) {
	s.authed = true
	s.rs.mu.Lock()
	s.rs.logins = append(s.rs.logins, who)
	s.rs.mu.Unlock()
}

// answer carries out rep: it waits, then drops the connection or returns
// the error to send (nil: accepted).
func (s *recSession) answer(rep Reply) error {
	time.Sleep(rep.Delay)
	return s.reply(rep)
}

// reply is answer without the wait.
func (s *recSession) reply(rep Reply) error {
	if rep.Drop {
		s.rs.mu.Lock()
		s.rs.drops++
		s.rs.mu.Unlock()
		s.conn.Conn().Close()
		return nil
	}
	if rep.Err != nil {
		return rep.Err // a bare *smtp.SMTPError, so go-smtp sends its code
	}
	return nil
}

func (s *recSession) Mail(from string, _ *smtp.MailOptions) error {
	rs := s.rs
	rs.mu.Lock()
	n := rs.mails
	rs.mails++
	rs.mu.Unlock()
	if rs.cfg.RequireAuth && !s.authed {
		return AuthRequired
	}
	if rs.cfg.Mail != nil {
		rep := rs.cfg.Mail(n, from)
		if err := s.answer(rep); err != nil || rep.Drop {
			return err
		}
	}
	s.from = from
	return nil
}

func (s *recSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.rs.cfg.Rcpt != nil {
		rep := s.rs.cfg.Rcpt(to)
		if err := s.answer(rep); err != nil || rep.Drop {
			return err
		}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *recSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Received{From: s.from, To: append([]string(nil), s.to...), Data: data}
	rs := s.rs
	rs.mu.Lock()
	n := rs.datas
	rs.datas++
	var rep Reply
	switch {
	case rs.cfg.Reply != nil:
		rs.mu.Unlock()
		rep = rs.cfg.Reply(n, m)
		rs.mu.Lock()
	case len(rs.queue) > 0:
		rep, rs.queue = rs.queue[0], rs.queue[1:]
	}
	if rep.Delay > 0 {
		// Recorded once the wait is over, as the answer is about to go.
		rs.mu.Unlock()
		time.Sleep(rep.Delay)
		rs.mu.Lock()
	}
	if rep.Err == nil && !rep.Drop {
		rs.msgs = append(rs.msgs, m)
	}
	rs.mu.Unlock()
	return s.reply(rep)
}

func (s *recSession) Reset() {
	s.from, s.to = "", nil
}

func (s *recSession) Logout() error {
	s.rs.mu.Lock()
	s.rs.ends++
	s.rs.mu.Unlock()
	return nil
}
