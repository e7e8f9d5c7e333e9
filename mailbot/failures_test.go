package mailbot

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailserver"
	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/emersion/go-smtp"
)

// The bot against servers that fail the way real ones do: an SMTP server
// refusing connections, answering 421 or 451, or hanging up after the
// data; an IMAP server going away and coming back; and, in
// storefail_test.go, a database another process has locked and a full
// disk. Each time the bot must say plainly what is wrong, keep running,
// try again with backoff, and once the trouble is over answer everything
// exactly once. A message is flagged \Seen only once what it asked for is
// committed.

// fltLog keeps everything the bot logs, for the test to read, and shows it
// when the test fails.
type fltLog struct {
	t  *testing.T
	mu sync.Mutex
	b  bytes.Buffer
}

func newFltLog(t *testing.T) (*fltLog, *slog.Logger) {
	l := &fltLog{t: t}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the bot's log:\n%s", l.String())
		}
	})
	return l, slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (l *fltLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *fltLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines returns the lines of the log matching re.
func (l *fltLog) lines(re *regexp.Regexp) []string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		if re.MatchString(line) {
			out = append(out, line)
		}
	}
	return out
}

// waitFor waits up to 30 seconds for a line matching re, and returns it.
func (l *fltLog) waitFor(re *regexp.Regexp) string {
	l.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if got := l.lines(re); len(got) > 0 {
			return got[0]
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("nothing logged matching %s in 30s", re)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fltBot is a running bot whose Run is watched: it must keep running
// through every failure.
type fltBot struct {
	t    *testing.T
	svc  *Service
	log  *fltLog
	ms   *mailserver.Server
	done chan error // Run's result
	seq  atomic.Int64
}

// startFltBot runs the whole bot with cfg until the test ends, and waits
// for its inbox to connect unless wait is false.
func startFltBot(t *testing.T, ms *mailserver.Server, cfg Config, wait bool) *fltBot {
	t.Helper()
	l, log := newFltLog(t)
	svc, err := NewService(context.Background(), cfg, SystemClock, log)
	if err != nil {
		t.Fatal(err)
	}
	b := &fltBot{t: t, svc: svc, log: l, ms: ms, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { b.done <- svc.Run(ctx, nil) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-b.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("bot did not stop within 20s of cancel")
		}
		svc.Close()
	})
	if wait {
		mailtest.WaitFor(t, "inbox to connect", func() bool { return svc.Inbox.Status().Connected })
	}
	return b
}

// running fails the test if Run has returned.
func (b *fltBot) running() {
	b.t.Helper()
	select {
	case err := <-b.done:
		b.t.Fatalf("the bot stopped by itself: Run returned %v", err)
	default:
	}
}

// ask puts a request for help from who into the bot's INBOX and returns
// its Message-ID.
func (b *fltBot) ask(who string) string {
	b.t.Helper()
	id := fmt.Sprintf("flt%d.%s", b.seq.Add(1), who)
	if err := b.ms.Deliver(who, botAddress, []byte(message(who, "help", id, "help"))); err != nil {
		b.t.Fatal(err)
	}
	return id
}

// seenMeansCommitted fails the test if any message in the bot's INBOX is
// flagged \Seen without a record of it in the database.
func (b *fltBot) seenMeansCommitted() {
	b.t.Helper()
	db, err := sql.Open("sqlite3", "file:"+b.svc.Config.DB+"?mode=ro&_busy_timeout=1000")
	if err != nil {
		b.t.Fatal(err)
	}
	defer db.Close()
	for _, m := range mailtest.Mailbox(b.t, b.ms.IMAPAddr(), botAddress) {
		if !m.Seen() {
			continue
		}
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM inbound WHERE uid = ?`, m.UID).Scan(&n); err != nil {
			b.t.Fatalf("read inbound: %v", err)
		}
		if n == 0 {
			b.t.Errorf("message %d is \\Seen but its handling was never committed", m.UID)
		}
	}
}

// unseen is how many messages in the bot's INBOX are not \Seen.
func (b *fltBot) unseen() int {
	n := 0
	for _, m := range mailtest.Mailbox(b.t, b.ms.IMAPAddr(), botAddress) {
		if !m.Seen() {
			n++
		}
	}
	return n
}

// gate stands between the bot and a server: it passes connections on, and
// can go down (every connection cut, new ones refused, as while a server
// restarts) and come up again on the same address. While busy is set it
// answers new connections itself, with a greeting it sends instead of the
// server's, and closes them: "421 Too many connections".
//
// While down it keeps the port bound, not listening: connections are
// refused as by a server that is not there, but no other socket is given
// the port, so the tests that take their gate down run beside the others.
type gate struct {
	t      *testing.T
	addr   string
	target string
	busy   atomic.Value // string: the greeting, or ""
	mu     sync.Mutex
	ln     net.Listener
	held   int // while down, the socket keeping the port; else -1
	conns  []net.Conn
}

// soReusePort is SO_REUSEPORT on Linux (amd64, arm64, 386, arm), which
// package syscall does not name.
const soReusePort = 0xf

// sharePort is SO_REUSEPORT, so that a gate's listener and the socket
// that holds its port while it is down can both be bound to the port, one
// taking over from the other with no moment between them.
func sharePort(_, _ string, c syscall.RawConn) error {
	var err error
	if cerr := c.Control(func(fd uintptr) {
		err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
	}); cerr != nil {
		return cerr
	}
	return err
}

func startGate(t *testing.T, target string) *gate {
	t.Helper()
	ln, err := (&net.ListenConfig{Control: sharePort}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{t: t, addr: ln.Addr().String(), target: target, ln: ln, held: -1}
	go g.serve(ln)
	t.Cleanup(func() {
		g.Down()
		syscall.Close(g.held)
	})
	return g
}

func (g *gate) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		if greeting, _ := g.busy.Load().(string); greeting != "" {
			io.WriteString(c, greeting+"\r\n")
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", g.target)
		if err != nil {
			c.Close()
			continue
		}
		g.mu.Lock()
		g.conns = append(g.conns, c, s)
		g.mu.Unlock()
		go func() { io.Copy(s, c); s.Close() }()
		go func() { io.Copy(c, s); c.Close() }()
	}
}

// Cut closes every connection; new ones are still taken.
func (g *gate) Cut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range g.conns {
		c.Close()
	}
	g.conns = nil
}

// Down cuts every connection and refuses new ones.
func (g *gate) Down() {
	g.t.Helper()
	g.mu.Lock()
	if g.ln != nil {
		held, err := holdPort(g.addr)
		if err != nil {
			g.mu.Unlock()
			g.t.Fatalf("hold the gate's port while it is down: %v", err)
		}
		g.held = held
		g.ln.Close()
		g.ln = nil
	}
	g.mu.Unlock()
	g.Cut()
}

// Up listens again on the same address.
func (g *gate) Up() {
	g.t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	ln, err := (&net.ListenConfig{Control: sharePort}).Listen(context.Background(), "tcp", g.addr)
	if err != nil {
		g.t.Fatalf("listen on %s again: %v", g.addr, err)
	}
	syscall.Close(g.held)
	g.ln, g.held = ln, -1
	go g.serve(ln)
}

// holdPort binds a TCP socket to addr, an IPv4 address and port, without
// listening on it: connections to the port are refused, and neither
// another listener asking for any port nor an outgoing connection is
// given it.
func holdPort(addr string) (int, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return -1, fmt.Errorf("hold port: %w", err)
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("hold port %s: socket: %w", addr, err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, soReusePort, 1); err != nil {
		syscall.Close(fd)
		return -1, fmt.Errorf("hold port %s: SO_REUSEPORT: %w", addr, err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		syscall.Close(fd)
		return -1, fmt.Errorf("hold port %s: bind: %w", addr, err)
	}
	return fd, nil
}

// TestSMTPFailuresRecover: the SMTP server fails for a while in each of the
// ways a real one does, while requests wait. The bot says what is wrong in
// words an officer can act on, keeps running, tries again with backoff
// rather than hammering the server, and once the server is back answers
// every request exactly once and empties its queue.
func TestSMTPFailuresRecover(t *testing.T) {
	t.Parallel()
	const outage = time.Second
	tests := []struct {
		name string
		// refuse: the server is not listening; busy: it greets new
		// connections with this and hangs up; otherwise reply is its
		// answer to each message's data while it fails.
		refuse bool
		busy   string
		reply  mailtest.Reply
		logged string // a regexp the failure's log line must match
	}{
		{name: "refusing connections", refuse: true,
			logged: `level=WARN msg="mail server unavailable; the queue waits" .*err="connect to SMTP server 127\.0\.0\.1:\d+: .*connection refused"`},
		{name: "421 at the greeting", busy: "421 4.7.0 rec.test Too many connections, try again later",
			logged: `level=WARN msg="mail server unavailable; the queue waits" .*err="SMTP 127\.0\.0\.1:\d+: hello: SMTP error 421: .*Too many connections, try again later"`},
		{name: "421 closing", reply: mailtest.Reply{Err: &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service shutting down"}},
			logged: `level=WARN msg="mail server unavailable; the queue waits" .*err="421 Service shutting down"`},
		{name: "451 try later", reply: mailtest.Reply{Err: mailtest.Temp("Local error in processing, try again later")},
			logged: `level=WARN msg="temporary failure; will retry" .*err="451 Local error in processing, try again later"`},
		{name: "drop after DATA", reply: mailtest.Reply{Drop: true},
			logged: `level=WARN msg="temporary failure; will retry" .*err="SMTP 127\.0\.0\.1:\d+: the server closed the connection without answering`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var failing atomic.Bool
			rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{Reply: func(int, mailtest.Received) mailtest.Reply {
				if failing.Load() {
					return tc.reply
				}
				return mailtest.Reply{}
			}})
			g := startGate(t, rs.Addr)
			ms := startMailServer(t)
			cfg := e2eConfig(t, ms, t.TempDir(), map[string]string{"MAILBOT_SMTP": "smtp://" + g.addr})
			b := startFltBot(t, ms, cfg, true)

			switch {
			case tc.refuse:
				g.Down()
			case tc.busy != "":
				g.busy.Store(tc.busy)
			default:
				failing.Store(true)
			}
			who := []string{"ann@example.org", "bob@example.org", "cy@example.org", "di@example.org"}
			ids := map[string]string{}
			for _, w := range who {
				ids[w] = b.ask(w)
			}
			failure := regexp.MustCompile(tc.logged)
			first := b.log.waitFor(failure)
			t.Logf("logged: %s", first)
			time.Sleep(outage)
			b.running()
			if !b.svc.Inbox.Status().Connected {
				t.Error("the inbox lost its connection over an SMTP failure")
			}
			// Backoff doubles from 20ms here: an outage of a second allows
			// about six tries of each message, not a busy loop.
			tries := len(b.log.lines(failure))
			if tries < 2 || tries > 10*len(who) {
				t.Errorf("%d failed tries during a %v outage, want some, with backoff between them", tries, outage)
			}
			if got := b.log.lines(regexp.MustCompile(`level=ERROR`)); len(got) > 0 {
				t.Errorf("a failing mail server logged as errors, want warnings:\n%s", strings.Join(got, "\n"))
			}

			switch {
			case tc.refuse:
				g.Up()
			case tc.busy != "":
				g.busy.Store("")
			default:
				failing.Store(false)
			}
			recWaitFor(t, "the queue to drain", func() bool {
				st, err := b.svc.Store.OutboxStats(context.Background())
				return err == nil && st.Queued == 0
			})
			// Each request answered exactly once: one accepted copy
			// each, threaded on the request.
			copies := map[string]int{}
			for _, m := range rs.Accepted() {
				for _, w := range who {
					if bytes.Contains(m.Data, []byte("In-Reply-To: <"+ids[w]+">")) {
						copies[w]++
					}
				}
			}
			for _, w := range who {
				if copies[w] != 1 {
					t.Errorf("%s was answered %d times, want once", w, copies[w])
				}
			}
			// Still running and answering.
			late := b.ask("late@example.org")
			recWaitFor(t, "an answer to a request after the outage", func() bool {
				for _, m := range rs.Accepted() {
					if bytes.Contains(m.Data, []byte("In-Reply-To: <"+late+">")) {
						return true
					}
				}
				return false
			})
			b.running()
		})
	}
}

// TestIMAPServerDownAndBack: the IMAP server goes away in the middle of an
// IDLE (cut), or goes away and refuses connections for a while (a restart),
// while mail arrives. The bot reports it, reconnects with growing waits,
// and answers the mail that came meanwhile exactly once.
func TestIMAPServerDownAndBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		retry time.Duration // Config.InboxRetryBase; 0: the default, a second
		down  time.Duration // 0: the connection is only cut
		waits []string      // backoffs the log must show, in order
	}{
		{name: "cut during IDLE", waits: []string{"1s"}},
		// Down for two and a half first waits: two tries fail. Short
		// waits keep the test short.
		{name: "restarted", retry: 100 * time.Millisecond, down: 250 * time.Millisecond, waits: []string{"100ms", "200ms"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ms := startMailServer(t)
			g := startGate(t, ms.IMAPAddr())
			cfg := e2eConfig(t, ms, t.TempDir(), map[string]string{"MAILBOT_IMAP": "imap://" + botAddress + "@" + g.addr})
			cfg.InboxRetryBase = tc.retry
			b := startFltBot(t, ms, cfg, true)
			b.ask("first@example.org")
			mailtest.WaitForMail(t, ms.IMAPAddr(), "first@example.org", 1)
			// In IDLE now: the bot has nothing else to do.
			time.Sleep(100 * time.Millisecond)

			if tc.down > 0 {
				g.Down()
			} else {
				g.Cut()
			}
			mailtest.WaitFor(t, "the inbox to notice", func() bool { return !b.svc.Inbox.Status().Connected })
			who := []string{"ann@example.org", "bob@example.org"}
			for _, w := range who {
				b.ask(w)
			}
			if tc.down > 0 {
				time.Sleep(tc.down)
				b.running()
				g.Up()
			}
			for _, w := range who {
				mailtest.WaitForMail(t, ms.IMAPAddr(), w, 1)
			}
			mailtest.WaitFor(t, "the inbox to connect again", func() bool { return b.svc.Inbox.Status().Connected })
			mailtest.WaitFor(t, "every message flagged", func() bool { return b.unseen() == 0 })
			// The wait grows between tries, and each try says why.
			stopped := b.log.lines(regexp.MustCompile(`level=WARN msg="inbox stopped; starting again" .*err=.* in=`))
			if len(stopped) < len(tc.waits) {
				t.Fatalf("logged %d reconnection waits, want %d (%v):\n%s", len(stopped), len(tc.waits), tc.waits, strings.Join(stopped, "\n"))
			}
			for i, w := range tc.waits {
				if !strings.HasSuffix(stopped[i], " in="+w) {
					t.Errorf("reconnection %d: %s\nwant a wait of %s", i+1, stopped[i], w)
				}
			}
			if tc.down > 0 && !strings.Contains(strings.Join(stopped, "\n"), "connect to IMAP server "+g.addr) {
				t.Errorf("no line names the unreachable server %s:\n%s", g.addr, strings.Join(stopped, "\n"))
			}
			sentinel(t, embedded(ms), b.svc, "zed@example.org")
			for _, w := range who {
				if n := len(mailtest.Mailbox(t, ms.IMAPAddr(), w)); n != 1 {
					t.Errorf("%s has %d answers, want 1", w, n)
				}
			}
			b.running()
		})
	}
}
