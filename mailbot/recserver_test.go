package mailbot

import (
	"bytes"
	"errors"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// recServer is a recording SMTP server on 127.0.0.1 for tests of the
// sending side: it speaks real SMTP (go-smtp's server), answers each DATA
// as the test tells it, and counts what it saw.
type recServer struct {
	Addr string // host:port it listens on

	srv    *smtp.Server
	reply  func(n int, m recMessage) recReply
	mu     sync.Mutex
	queue  []recReply
	conns  int          // TCP connections accepted
	open   []net.Conn   // every connection accepted, for DropConns
	ends   int          // SMTP sessions ended (connection closed)
	datas  int          // DATA commands answered or dropped
	drops  int          // connections dropped after DATA
	msgs   []recMessage // messages answered 250
	logins []string     // user:password of every successful AUTH
}

// recMessage is one message as the server received it.
type recMessage struct {
	From string
	To   []string
	Data []byte
}

// recReply is the server's answer to one DATA: Err nil is 250 accepted;
// Drop closes the connection instead of answering (after reading the data).
type recReply struct {
	Err  *smtp.SMTPError
	Drop bool
}

// recConfig sets up a recServer. Replies are used one per DATA, in order;
// once they run out every message is accepted. Reply, when set, decides
// instead (n counts DATA commands from 0).
type recConfig struct {
	Addr    string // default 127.0.0.1:0
	Replies []recReply
	Reply   func(n int, m recMessage) recReply
}

// recTemp and recPerm are SMTP refusals as a real server words them.
func recTemp(msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: msg}
}

func recPerm(msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: msg}
}

// newRecServer starts a recording server; it is closed when the test ends.
func newRecServer(t testing.TB, cfg recConfig) *recServer {
	t.Helper()
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("recServer: listen on %s: %v", addr, err)
	}
	rs := &recServer{Addr: ln.Addr().String(), reply: cfg.Reply, queue: append([]recReply(nil), cfg.Replies...)}
	rs.srv = smtp.NewServer(rs)
	rs.srv.Domain = "rec.test"
	rs.srv.AllowInsecureAuth = true
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
func (rs *recServer) Conns() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.conns
}

// Ended is how many SMTP sessions have ended with their connection.
func (rs *recServer) Ended() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.ends
}

// DataCalls is how many DATA commands the server has handled.
func (rs *recServer) DataCalls() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.datas
}

// Drops is how many connections were dropped after DATA.
func (rs *recServer) Drops() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.drops
}

// Accepted returns a copy of the messages answered 250, in order.
func (rs *recServer) Accepted() []recMessage {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]recMessage(nil), rs.msgs...)
}

// Logins returns "user:password" for each successful AUTH.
func (rs *recServer) Logins() []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]string(nil), rs.logins...)
}

// DropConns closes every connection from the server's side, as a server
// restarting or timing out idle clients does, and goes on listening.
func (rs *recServer) DropConns() {
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
	rs *recServer
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
func (rs *recServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &recSession{rs: rs, conn: c}, nil
}

// recSession is one SMTP connection's transaction state.
type recSession struct {
	rs   *recServer
	conn *smtp.Conn
	from string
	to   []string
}

var _ smtp.AuthSession = (*recSession)(nil)

func (s *recSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *recSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user == "" || pass == "" {
			return errors.New("empty credentials")
		}
		s.rs.mu.Lock()
		s.rs.logins = append(s.rs.logins, user+":"+pass)
		s.rs.mu.Unlock()
		return nil
	}), nil
}

func (s *recSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *recSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *recSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := recMessage{From: s.from, To: append([]string(nil), s.to...), Data: data}
	rs := s.rs
	rs.mu.Lock()
	n := rs.datas
	rs.datas++
	var rep recReply
	switch {
	case rs.reply != nil:
		rs.mu.Unlock()
		rep = rs.reply(n, m)
		rs.mu.Lock()
	case len(rs.queue) > 0:
		rep, rs.queue = rs.queue[0], rs.queue[1:]
	}
	switch {
	case rep.Drop:
		rs.drops++
	case rep.Err == nil:
		rs.msgs = append(rs.msgs, m)
	}
	rs.mu.Unlock()
	if rep.Drop {
		// The data is in but no answer comes: the client cannot know
		// whether the message was taken.
		s.conn.Conn().Close()
		return nil
	}
	if rep.Err != nil {
		return rep.Err // a bare *smtp.SMTPError, so go-smtp sends its code
	}
	return nil
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

// TestRecServer checks the recording server itself with go-smtp's client:
// queued replies come back with their codes, a dropped connection is a
// network error, and the counters add up.
func TestRecServer(t *testing.T) {
	rs := newRecServer(t, recConfig{Replies: []recReply{
		{Err: recTemp("try later")},
		{Err: recPerm("no such user")},
		{},
		{Drop: true},
	}})
	tests := []struct {
		name     string
		wantCode int // 0: accepted; -1: a network error
	}{
		{"451", 451},
		{"550", 550},
		{"250", 0},
		{"drop", -1},
		{"queue empty", 0},
	}
	body := "Subject: x\r\n\r\n.leading dot\r\nline\r\n"
	var c *smtp.Client
	for _, tt := range tests {
		if c == nil {
			var err error
			if c, err = smtp.Dial(rs.Addr); err != nil {
				t.Fatal(err)
			}
		}
		err := c.SendMail("a@example.org", []string{"b@example.org"}, strings.NewReader(body))
		var se *smtp.SMTPError
		got := 0
		switch {
		case errors.As(err, &se):
			got = se.Code
			if err := c.Reset(); err != nil {
				t.Fatalf("%s: Reset: %v", tt.name, err)
			}
		case err != nil:
			got = -1
			c.Close()
			c = nil
		}
		if got != tt.wantCode {
			t.Errorf("%s: SendMail = %d (%v), want %d", tt.name, got, err, tt.wantCode)
		}
	}
	if c != nil {
		c.Quit()
	}
	if got, want := rs.Conns(), 2; got != want {
		t.Errorf("Conns() = %d, want %d", got, want)
	}
	if got, want := rs.DataCalls(), 5; got != want {
		t.Errorf("DataCalls() = %d, want %d", got, want)
	}
	if got, want := rs.Drops(), 1; got != want {
		t.Errorf("Drops() = %d, want %d", got, want)
	}
	acc := rs.Accepted()
	if got, want := len(acc), 2; got != want {
		t.Fatalf("len(Accepted()) = %d, want %d", got, want)
	}
	if got, want := acc[0].From, "a@example.org"; got != want {
		t.Errorf("Accepted()[0].From = %q, want %q", got, want)
	}
	if got, want := strings.Join(acc[0].To, ","), "b@example.org"; got != want {
		t.Errorf("Accepted()[0].To = %q, want %q", got, want)
	}
	if got, want := acc[0].Data, []byte(body); !bytes.Equal(got, want) {
		t.Errorf("Accepted()[0].Data = %q, want %q", got, want)
	}
}
