package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync"

	"github.com/emersion/go-smtp"
)

// checkSink is an SMTP server on loopback that takes every message and
// checks that each is a proper newsletter copy: one recipient, addressed to
// them in To, a VERP envelope sender, and a Message-ID and unsubscribe link
// no other copy has. It is for runs without -smtp (tests, a quick look);
// a benchmark sends to smtp-sink, which does no work that would be counted
// as the bot's.
type checkSink struct {
	Addr string
	srv  *smtp.Server

	mu        sync.Mutex
	copies    map[string]int // by recipient
	ids, link map[string]bool
	bad       []string // the first few problems
	badCount  int
}

func startCheckSink() (*checkSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("check sink: %w", err)
	}
	s := &checkSink{Addr: ln.Addr().String(), copies: map[string]int{}, ids: map[string]bool{}, link: map[string]bool{}}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }))
	s.srv.Domain = "sink.example.test"
	s.srv.AllowInsecureAuth = true
	go s.srv.Serve(ln)
	return s, nil
}

func (s *checkSink) Close() error { return s.srv.Close() }

// problem notes a bad copy; the caller holds s.mu.
func (s *checkSink) problem(format string, args ...any) {
	s.badCount++
	if len(s.bad) < 3 {
		s.bad = append(s.bad, fmt.Sprintf(format, args...))
	}
}

// sinkCheck is what the sink saw of n subscribers' copies.
type sinkCheck struct {
	delivered, duplicates int
	problem               string // "" when every copy was right
}

func (s *checkSink) check(n int) sinkCheck {
	s.mu.Lock()
	defer s.mu.Unlock()
	var c sinkCheck
	for i := 1; i <= n; i++ {
		k := s.copies[subscriberAddress(i)]
		c.delivered += min(k, 1)
		c.duplicates += max(k-1, 0)
	}
	var problems []string
	if c.delivered != n || c.duplicates > 0 || len(s.copies) != n {
		problems = append(problems, fmt.Sprintf("%d of %d subscribers got a copy, %d duplicate copies, %d recipients in all", c.delivered, n, c.duplicates, len(s.copies)))
	}
	if s.badCount > 0 {
		problems = append(problems, fmt.Sprintf("%d bad copies, e.g. %s", s.badCount, strings.Join(s.bad, "; ")))
	}
	c.problem = strings.Join(problems, "; ")
	return c
}

type sinkSession struct {
	s    *checkSink
	from string
	to   []string
}

func (ss *sinkSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *sinkSession) Logout() error { return nil }

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	br := bufio.NewReader(r)
	h, err := textproto.NewReader(br).ReadMIMEHeader()
	if _, cerr := io.Copy(io.Discard, br); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("reading the message: %w", err)
	}
	s := ss.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(ss.to) != 1 {
		s.problem("%d recipients in one transaction", len(ss.to))
		return nil
	}
	rcpt := ss.to[0]
	if s.copies[rcpt]++; s.copies[rcpt] > 1 {
		return nil // counted as a duplicate, not as a bad copy
	}
	link, _, _ := strings.Cut(h.Get("List-Unsubscribe"), ">")
	id := h.Get("Message-Id")
	switch {
	case !strings.Contains(ss.from, "+bounce-"):
		s.problem("envelope sender %q names no message (VERP)", ss.from)
	case !strings.Contains(h.Get("To"), rcpt):
		s.problem("To %q for RCPT %s", h.Get("To"), rcpt)
	case !strings.Contains(link, "/list/leave/"):
		s.problem("List-Unsubscribe %q has no one-click link", h.Get("List-Unsubscribe"))
	case s.link[link]:
		s.problem("two copies share the unsubscribe link %s", link)
	case id == "" || s.ids[id]:
		s.problem("Message-ID %q missing or repeated", id)
	}
	s.link[link], s.ids[id] = true, true
	return nil
}
