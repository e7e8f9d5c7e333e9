// Package mailserver is the small embedded mail server used when the operator
// configures no real mail server ("try it in one command" mode) and by the
// in-process end-to-end tests. It owns an SMTP listener that accepts mail for
// any address without authentication and an IMAP listener that logs in any
// address with any password, each address having its own mailbox whose INBOX
// receives that address's mail. A mail client or a test script can therefore
// play a member of the public.
//
// Everything is held in memory and lost on Close. There is no TLS and no
// real authentication: it is meant for loopback use only.
package mailserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-smtp"
)

// Options configures Start.
type Options struct {
	SMTPAddr string       // e.g. "127.0.0.1:2525" or "127.0.0.1:0" in tests
	IMAPAddr string       // e.g. "127.0.0.1:1143" or "127.0.0.1:0"
	Hostname string       // used in the SMTP greeting, Received and Authentication-Results headers; default "localhost"
	Logger   *slog.Logger // default slog.Default()
	// UIDValidity is added to every mailbox's UIDVALIDITY; zero means
	// the time the server starts, in seconds. The mailboxes are new on
	// every start and their UIDs begin again at 1, so a client that
	// remembers how far it read (the bot's database does) must see a new
	// UIDVALIDITY, or it would take the new messages for ones it had
	// handled (RFC 9051 section 2.3.1.1).
	UIDValidity uint32
}

// Server is a running embedded mail server. It is safe for concurrent use.
type Server struct {
	hostname string
	log      *slog.Logger
	// uidValidity is Options.UIDValidity, settled: see imapSession.
	uidValidity uint32

	smtp   *smtp.Server
	imap   *imapserver.Server
	smtpLn *trackingListener
	imapLn *trackingListener
	serves sync.WaitGroup // the two Serve loops

	mu       sync.Mutex
	accounts map[string]*account // by normalised address

	closeOnce sync.Once
	closeErr  error
}

// Start listens on both addresses and serves until Close. It fails if either
// address cannot be listened on.
func Start(opts Options) (*Server, error) {
	s := &Server{
		hostname: opts.Hostname,
		log:      opts.Logger,
		accounts: make(map[string]*account),

		uidValidity: opts.UIDValidity,
	}
	if s.uidValidity == 0 {
		s.uidValidity = uint32(time.Now().Unix())
	}
	if s.hostname == "" {
		s.hostname = "localhost"
	}
	if s.log == nil {
		s.log = slog.Default()
	}

	smtpLn, err := net.Listen("tcp", opts.SMTPAddr)
	if err != nil {
		return nil, fmt.Errorf("embedded SMTP listen %s: %w", opts.SMTPAddr, err)
	}
	imapLn, err := net.Listen("tcp", opts.IMAPAddr)
	if err != nil {
		smtpLn.Close()
		return nil, fmt.Errorf("embedded IMAP listen %s: %w", opts.IMAPAddr, err)
	}
	s.smtpLn = newTrackingListener(smtpLn)
	s.imapLn = newTrackingListener(imapLn)
	s.smtp = s.newSMTPServer()
	s.imap = s.newIMAPServer()

	s.serve("SMTP", s.smtpLn, s.smtp.Serve)
	s.serve("IMAP", s.imapLn, s.imap.Serve)
	s.log.Info("embedded mail server listening",
		"smtp", s.SMTPAddr(), "imap", s.IMAPAddr(), "hostname", s.hostname, "uidvalidity", s.uidValidity)
	return s, nil
}

// serve runs a Serve loop and returns once it is accepting. Waiting matters:
// imapserver registers its listener and its WaitGroup in two steps, and a
// Close landing between them would race inside the library.
func (s *Server) serve(name string, ln *trackingListener, serve func(net.Listener) error) {
	done := make(chan struct{})
	s.serves.Add(1)
	go func() {
		defer s.serves.Done()
		defer close(done)
		if err := serve(ln); err != nil && !ln.isClosed() {
			s.log.Error("embedded mail server stopped serving", "protocol", name, "err", err)
		}
	}()
	select {
	case <-ln.ready:
	case <-done:
	}
}

// SMTPAddr is the host:port the SMTP server actually listens on.
func (s *Server) SMTPAddr() string { return s.smtpLn.Addr().String() }

// IMAPAddr is the host:port the IMAP server actually listens on.
func (s *Server) IMAPAddr() string { return s.imapLn.Addr().String() }

// Close stops both servers, closing their listeners and every client
// connection. Calling it again returns the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		// The libraries close what they know of; the tracking listeners then
		// catch connections accepted but not yet registered with a library.
		if err := s.smtp.Close(); err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("close embedded SMTP server: %w", err))
		}
		if err := s.imap.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("close embedded IMAP server: %w", err))
		}
		if err := s.smtpLn.shutdown(); err != nil {
			errs = append(errs, fmt.Errorf("close embedded SMTP listener: %w", err))
		}
		if err := s.imapLn.shutdown(); err != nil {
			errs = append(errs, fmt.Errorf("close embedded IMAP listener: %w", err))
		}
		s.serves.Wait()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Deliver puts a raw RFC 5322 message into rcpt's INBOX exactly as SMTP
// delivery would, stamped as if it came over a loopback connection. from is
// the envelope sender; "" (or "<>") is the null sender.
func (s *Server) Deliver(from string, rcpt string, msg []byte) error {
	if from == "<>" {
		from = ""
	}
	return s.deliver(envelope{helo: "localhost", remoteIP: "127.0.0.1", loopback: true, from: from}, rcpt, msg)
}

// deliver is the one delivery path shared by SMTP DATA and Deliver.
func (s *Server) deliver(env envelope, rcpt string, msg []byte) error {
	if err := checkHeaderValue(env.from); err != nil {
		return fmt.Errorf("deliver from %q: %w", env.from, err)
	}
	key, err := mailboxKey(rcpt)
	if err != nil {
		return fmt.Errorf("deliver to %q: %w", rcpt, err)
	}
	stamped := stamp(env, s.hostname, time.Now(), msg)
	if err := s.account(key).deliver(stamped); err != nil {
		return fmt.Errorf("deliver to %s: %w", key, err)
	}
	s.log.Debug("embedded mail server delivered", "from", env.from, "rcpt", rcpt, "mailbox", key, "bytes", len(stamped))
	return nil
}

// account returns the account for key, creating it with an INBOX on first
// use. IMAP sessions and deliveries share it so that appends reach every
// selected view of the mailbox.
func (s *Server) account(key string) *account {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[key]
	if !ok {
		a = newAccount(key)
		s.accounts[key] = a
	}
	return a
}
