package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The crash tests run the real binary against real servers and SIGKILL it
// at exact points of the IMAP and SMTP conversations. The points are found
// by reading the protocol on the wire, through a proxy between the bot and
// each server: no hook in the bot decides when it dies.

// event is a moment in the bot's talk with its servers that the proxy
// recognises. Each is seen just before its line is passed on, so a kill
// "at" an event leaves the other side without that line.
type event int

const (
	evFetchCmd  event = iota // the bot asks for message bodies
	evFetchData              // a message body is on its way to the bot
	evFetchDone              // every body asked for has been sent; the bot now handles them
	evMarkCmd                // the bot asks for \Seen, or to move them: it has committed those messages
	evMarkDone               // the server has flagged or moved them; the bot has not recorded that
	evDataCmd                // the bot is about to send a message's data
	evAccepted               // the server took a message (250 after the data); the bot does not know yet
	numEvents
)

var eventNames = [numEvents]string{"fetch command", "fetch data", "fetch done", "mark (\\Seen or move)", "mark done", "DATA", "250 after data"}

func (e event) String() string { return eventNames[e] }

// killPoint says when to kill: at the nth event of its kind since the bot
// started, after a delay (0: before the event's line is passed on), or,
// when random is set, at a random moment of the run. With term, the bot
// is sent SIGTERM instead, and the line passed on: it must finish what it
// has in hand and stop cleanly.
type killPoint struct {
	ev     event
	nth    int
	after  time.Duration
	random bool
	term   bool
}

func (k killPoint) String() string {
	how := ""
	if k.term {
		how = "SIGTERM "
	}
	switch {
	case k.random:
		return how + "at random"
	case k.after > 0:
		return fmt.Sprintf("%s%v after %s #%d", how, k.after, k.ev, k.nth)
	}
	return fmt.Sprintf("%sat %s #%d", how, k.ev, k.nth)
}

// botProc is one run of the binary.
type botProc struct {
	cmd  *exec.Cmd
	gen  int
	log  string // its standard error, in a file
	done chan struct{}
	err  error        // from Wait, once done is closed
	how  atomic.Value // "kill" or "term" once the test stopped it

	killOnce sync.Once
}

// stoppedBy says how the test stopped p: "kill", "term", or "" when it
// exited by itself.
func (p *botProc) stoppedBy() string {
	how, _ := p.how.Load().(string)
	return how
}

// kill SIGKILLs the process and returns once it has gone: nothing it had
// in hand is finished.
func (p *botProc) kill() {
	p.killOnce.Do(func() { p.cmd.Process.Signal(syscall.SIGKILL) })
	<-p.done
}

func (p *botProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// crashRig runs the binary again and again through two kill proxies, one
// in front of each server, and keeps count of what it did.
type crashRig struct {
	t    *testing.T
	dir  string
	env  []string
	rng  *rand.Rand
	imap *killProxy
	smtp *killProxy

	mu    sync.Mutex
	proc  *botProc
	gen   int
	armed *killPoint
	seen  [numEvents]int // events of the current process
	total [numEvents]int // events of every process
	fired map[string]int // kills made, by point
	kills int
	runs  []*botProc
	// accepted holds, for each run, the Message-ID of every message the
	// SMTP server took from it: what its crash may leave sent but not
	// recorded.
	accepted map[int]map[string]bool
	// afterKill, when set, is called once a run the test stopped (killed
	// or sent SIGTERM) has gone and the servers have said their last to it.
	afterKill func(p *botProc)
	open      map[int]int // proxied connections still open, by run
}

func newCrashRig(t *testing.T, seed uint64, imapTarget, smtpTarget string) *crashRig {
	r := &crashRig{t: t, dir: t.TempDir(), rng: rand.New(rand.NewPCG(seed, seed)), fired: map[string]int{}, accepted: map[int]map[string]bool{}, open: map[int]int{}}
	r.imap = startKillProxy(t, r, imapTarget, true)
	r.smtp = startKillProxy(t, r, smtpTarget, false)
	t.Cleanup(func() {
		r.mu.Lock()
		p := r.proc
		r.mu.Unlock()
		if p != nil {
			p.kill()
		}
		if t.Failed() {
			r.dumpLogs(3)
		}
	})
	return r
}

// start runs the binary with args, to be killed at k (nil: never).
func (r *crashRig) start(k *killPoint, args ...string) *botProc {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gen++
	p := &botProc{gen: r.gen, done: make(chan struct{}), log: filepath.Join(r.dir, fmt.Sprintf("run-%03d.log", r.gen))}
	f, err := os.Create(p.log)
	if err != nil {
		r.t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "# %s, kill %v\n", strings.Join(args, " "), k)
	p.cmd = exec.Command(binary, args...)
	p.cmd.Dir = r.dir
	p.cmd.Env = r.env
	p.cmd.Stdout, p.cmd.Stderr = f, f
	// Gone with the test, however the test ends.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	r.proc, r.armed, r.seen = p, k, [numEvents]int{}
	r.runs = append(r.runs, p)
	if k != nil && k.random {
		// Most of a run's work is done within its first second.
		d := time.Duration(r.rng.Int64N(int64(700*time.Millisecond))) + 50*time.Millisecond
		time.AfterFunc(d, func() {
			if k.term {
				r.termNow(p, k.String())
			} else {
				r.killNow(p, k.String())
			}
		})
	}
	return p
}

// killNow kills p, counting the kill under why, unless p has exited
// already.
func (r *crashRig) killNow(p *botProc, why string) {
	if p.exited() {
		return
	}
	r.mu.Lock()
	r.fired[why]++
	r.kills++
	r.mu.Unlock()
	p.how.CompareAndSwap(nil, "kill")
	p.kill()
}

// termNow sends p SIGTERM, counting it under why, unless p has exited
// already, and returns at once: p has work in hand to finish.
func (r *crashRig) termNow(p *botProc, why string) {
	if p.exited() {
		return
	}
	r.mu.Lock()
	r.fired[why]++
	r.mu.Unlock()
	p.how.CompareAndSwap(nil, "term")
	p.cmd.Process.Signal(syscall.SIGTERM)
}

// observe is told of every event by the proxies, before its line is passed
// on. It returns false when it killed the bot for it: the line must not
// be passed on.
func (r *crashRig) observe(gen int, ev event, msgID string) bool {
	r.mu.Lock()
	if ev == evAccepted {
		if r.accepted[gen] == nil {
			r.accepted[gen] = map[string]bool{}
		}
		r.accepted[gen][msgID] = true
	}
	if gen != r.gen {
		// A line still in flight from a process killed earlier.
		r.mu.Unlock()
		return true
	}
	r.seen[ev]++
	r.total[ev]++
	k, p := r.armed, r.proc
	fire := k != nil && !k.random && k.ev == ev && r.seen[ev] == k.nth
	if fire {
		r.armed = nil
	}
	r.mu.Unlock()
	switch {
	case !fire:
		return true
	case k.term:
		// The bot must see this line to finish its work.
		time.AfterFunc(k.after, func() { r.termNow(p, k.String()) })
		return true
	case k.after > 0:
		time.AfterFunc(k.after, func() { r.killNow(p, k.String()) })
		return true
	}
	r.killNow(p, k.String())
	return false
}

// drained waits until every connection of run gen has closed, so that
// what a server answered a dead bot (a 250 it will never see) is counted.
func (r *crashRig) drained(gen int) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		n := r.open[gen]
		r.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("run %d: %d connections still open 10s after it was killed", gen, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// connected counts a new connection for the process running now, to which
// it belongs, and returns its generation and a function to call when the
// connection has closed.
func (r *crashRig) connected() (int, func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	gen := r.gen
	r.open[gen]++
	return gen, func() {
		r.mu.Lock()
		r.open[gen]--
		r.mu.Unlock()
	}
}

// rounds runs the binary once for each round, each run fed first by feed
// (nil: nothing) and killed at its round's point or, if that never comes,
// once done holds or ten seconds have passed. It then runs final unharmed
// until done holds, and returns that run, still running unless it exits
// by itself.
func (r *crashRig) rounds(rs []round, final []string, feed func(i int), done func() bool) *botProc {
	r.t.Helper()
	for i, rd := range rs {
		if feed != nil {
			feed(i)
		}
		p := r.start(&rd.kill, rd.args...)
		deadline := time.Now().Add(10 * time.Second)
		for !p.exited() && !done() && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if !p.exited() && p.stoppedBy() == "term" {
			select { // finishing what it has in hand
			case <-p.done:
			case <-time.After(15 * time.Second):
				r.t.Errorf("run %d still running 15s after SIGTERM", p.gen)
			}
		}
		if !p.exited() {
			// Its point never came: this run ends all the same, as a
			// crash at whatever it was doing.
			r.killNow(p, "idle: its point never came")
		}
		if r.afterKill != nil && p.stoppedBy() != "" {
			r.drained(p.gen)
			r.afterKill(p)
		}
		if b, _ := os.ReadFile(p.log); p.stoppedBy() == "term" && bytes.Contains(b, []byte("level=ERROR")) {
			// A clean stop is not a failure: nothing to report, and no
			// message put off as though its sending had failed.
			r.t.Errorf("run %d logged errors while stopping cleanly (%v):\n%s", p.gen, rd.kill, tail(p.log, 20))
		}
		if p.err != nil && (p.stoppedBy() != "kill" || !strings.Contains(p.err.Error(), "killed")) {
			r.t.Errorf("run %d (%s, kill %v): %v\n%s", p.gen, strings.Join(rd.args, " "), rd.kill, p.err, tail(p.log, 30))
		}
	}
	p := r.start(nil, final...)
	deadline := time.Now().Add(60 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: not done 60s into the run after the crashes; its log:\n%s", strings.Join(final, " "), tail(p.log, 60))
		}
		if p.exited() && !done() {
			r.t.Fatalf("%s exited (%v) before the work was done; its log:\n%s", strings.Join(final, " "), p.err, tail(p.log, 60))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

// stop sends SIGTERM and expects a clean exit.
func (r *crashRig) stop(p *botProc) {
	r.t.Helper()
	// Until it has connected, it may not yet be listening for signals.
	deadline := time.Now().Add(10 * time.Second)
	for b, _ := os.ReadFile(p.log); !bytes.Contains(b, []byte("inbox connected")); b, _ = os.ReadFile(p.log) {
		if time.Now().After(deadline) {
			r.t.Fatalf("not connected after 10s; log:\n%s", tail(p.log, 40))
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.kill()
		r.t.Fatalf("still running 15s after SIGTERM; log:\n%s", tail(p.log, 40))
	}
	if p.err != nil {
		r.t.Errorf("exit after SIGTERM: %v; log:\n%s", p.err, tail(p.log, 40))
	}
	if b, _ := os.ReadFile(p.log); !bytes.Contains(b, []byte("stopped cleanly")) || bytes.Contains(b, []byte("level=ERROR")) {
		r.t.Errorf("the last run did not stop cleanly, or logged errors:\n%s", tail(p.log, 40))
	}
}

// checkLogs fails the test if any run panicked, and shows every run's
// last lines when the test fails.
func (r *crashRig) checkLogs() {
	r.t.Helper()
	for _, p := range r.runs {
		b, _ := os.ReadFile(p.log)
		for _, bad := range []string{"panic:", "fatal error:", "DATA RACE"} {
			if bytes.Contains(b, []byte(bad)) {
				r.t.Errorf("run %d: %q in its log:\n%s", p.gen, bad, b)
			}
		}
	}
}

func (r *crashRig) dumpLogs(lines int) {
	for _, p := range r.runs {
		r.t.Logf("run %d:\n%s", p.gen, tail(p.log, lines))
	}
}

// tail is the last n lines of a file.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{lines[0], "…"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// killProxy passes TCP connections on to a server line by line, telling
// the rig of each event it recognises before passing its line on. Lines
// from the server are held back a little, as a slower server's would be,
// which widens the windows a random kill can land in.
type killProxy struct {
	ln     net.Listener
	target string
	imap   bool // IMAP, or SMTP
	rig    *crashRig
	delay  atomic.Int64 // nanoseconds each line from the server is held
}

func startKillProxy(t *testing.T, r *crashRig, target string, imap bool) *killProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &killProxy{ln: ln, target: target, imap: imap, rig: r}
	p.delay.Store(int64(500 * time.Microsecond))
	t.Cleanup(func() { ln.Close() })
	go p.serve()
	return p
}

func (p *killProxy) Addr() string { return p.ln.Addr().String() }

func (p *killProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *killProxy) handle(client net.Conn) {
	gen, closed := p.rig.connected()
	defer closed()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	st := &wireState{imap: p.imap, tags: map[string]event{}}
	fromBot := make(chan struct{})
	go func() {
		defer close(fromBot)
		p.pipe(gen, client, server, true, st)
		// The bot has gone: the server hears the end of the connection,
		// and what it answered meanwhile (a 250, say) is still read, so
		// no acceptance goes uncounted.
		server.(*net.TCPConn).CloseWrite()
		server.SetReadDeadline(time.Now().Add(5 * time.Second))
	}()
	p.pipe(gen, server, client, false, st)
	client.Close()
	server.Close()
	<-fromBot
}

// pipe passes lines from src to dst until either fails or the bot is
// killed at one of them.
func (p *killProxy) pipe(gen int, src, dst net.Conn, fromClient bool, st *wireState) {
	r := bufio.NewReaderSize(src, 64<<10)
	for {
		line, err := r.ReadSlice('\n')
		if len(line) > 0 {
			if ev, ok := st.read(fromClient, line); ok && !p.rig.observe(gen, ev, st.msgID) {
				return // the bot is dead; the line goes nowhere
			}
			if !fromClient {
				time.Sleep(time.Duration(p.delay.Load()))
			}
			if _, werr := dst.Write(line); werr != nil && fromClient {
				return
			}
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}

// wireState follows one connection's conversation far enough to name its
// events: which IMAP tags are body fetches or \Seen stores, and where an
// SMTP message's data begins and ends.
type wireState struct {
	imap  bool
	mu    sync.Mutex
	tags  map[string]event // IMAP: tag → the command's own event
	data  bool             // SMTP: the client is sending message data
	wait  bool             // SMTP: the data is in; the next reply is its outcome
	msgID string           // SMTP: the Message-ID in the data, without <>
}

func (s *wireState) read(fromClient bool, line []byte) (event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	text := string(line)
	if s.imap {
		f := strings.Fields(text)
		switch {
		case fromClient && len(f) > 3 && f[1] == "UID" && f[2] == "FETCH" && strings.Contains(text, "BODY.PEEK[]"):
			s.tags[f[0]] = evFetchDone
			return evFetchCmd, true
		case fromClient && len(f) > 3 && f[1] == "UID" && (f[2] == "STORE" && strings.Contains(text, `\Seen`) || f[2] == "MOVE"):
			s.tags[f[0]] = evMarkDone
			return evMarkCmd, true
		case !fromClient && len(f) > 2 && f[0] == "*" && f[2] == "FETCH" && strings.Contains(text, "BODY[]"):
			return evFetchData, true
		case !fromClient && len(f) > 1 && f[1] == "OK":
			if ev, ok := s.tags[f[0]]; ok {
				delete(s.tags, f[0])
				return ev, true
			}
		}
		return 0, false
	}
	switch {
	case fromClient && s.data:
		if text == ".\r\n" {
			s.data, s.wait = false, true
		}
		if k, v, ok := strings.Cut(text, ":"); ok && strings.EqualFold(k, "Message-ID") && s.msgID == "" {
			s.msgID = strings.Trim(strings.TrimSpace(v), "<>")
		}
	case fromClient && strings.EqualFold(strings.TrimSpace(text), "DATA"):
		return evDataCmd, true
	case !fromClient && strings.HasPrefix(text, "354"):
		s.data, s.msgID = true, ""
	case !fromClient && s.wait && len(text) > 3 && text[3] != '-':
		s.wait = false
		if text[0] == '2' {
			return evAccepted, true
		}
	}
	return 0, false
}
