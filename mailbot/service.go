package mailbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailserver"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// Service is the whole bot wired together: store, embedded mail server when
// configured, inbox, handler and outbox.
type Service struct {
	Config Config
	Store  *store.Store
	Bot    *Bot
	Inbox  *Inbox
	Outbox *Outbox
	// Mail is the embedded mail server, or nil with a real one.
	Mail *mailserver.Server
	log  *slog.Logger
}

// NewService opens the database and, in embedded mode, starts the loopback
// mail server and loads the demo timetable into an empty database.
func NewService(ctx context.Context, cfg Config, clock Clock, log *slog.Logger) (*Service, error) {
	tpl, err := templates.Load()
	if err != nil {
		return nil, err
	}
	st, err := store.OpenWith(ctx, cfg.DB, store.Options{BusyTimeout: cfg.DBBusyTimeout})
	if err != nil {
		return nil, err
	}
	st.SetCheckpoint(cfg.Checkpoint)
	s := &Service{Config: cfg, Store: st, log: log}
	if cfg.Embedded {
		_, domain, _ := strings.Cut(cfg.Address, "@")
		// The embedded mailboxes start empty, numbered from 1 again: the
		// UIDVALIDITY must move past the one this database remembers, or
		// the inbox would take the first new letters for old ones. The
		// clock alone would do, unless the bot is restarted within a
		// second or the clock is set back.
		uidValidity := uint32(clock.Now().Unix())
		if state, known, err := st.MailboxState(ctx, inboxName); err != nil {
			st.Close()
			return nil, err
		} else if known && state.UIDValidity >= uidValidity {
			uidValidity = state.UIDValidity
		}
		s.Mail, err = mailserver.Start(mailserver.Options{
			SMTPAddr: cfg.SMTP.Host, IMAPAddr: cfg.IMAP.Host, Hostname: domain,
			Logger: log.With("part", "mailserver"), UIDValidity: uidValidity,
		})
		if err != nil {
			st.Close()
			return nil, err
		}
		// The ports may have been chosen by the system (tests use :0).
		s.Config.SMTP.Host, s.Config.IMAP.Host = s.Mail.SMTPAddr(), s.Mail.IMAPAddr()
		loaded, err := LoadDemoTimetable(ctx, st, cfg.TZ, clock.Now())
		if err != nil {
			s.Close()
			return nil, err
		}
		if loaded {
			log.Info("new database: demo timetable loaded")
		}
	}
	var wake func()
	if s.Bot, err = NewBot(s.Config, st, tpl, clock, log.With("part", "bot"), func() { wake() }); err != nil {
		s.Close()
		return nil, err
	}
	s.Outbox = s.Bot.NewOutbox(log.With("part", "outbox"))
	wake = s.Outbox.Wake
	s.Inbox = NewInbox(s.Config, st, s.Bot, log.With("part", "inbox"))
	return s, nil
}

// Run reads, handles and sends until ctx is done; then each part finishes
// the work in hand and Run returns. httpLn may be nil for no web endpoint.
func (s *Service) Run(ctx context.Context, httpLn net.Listener) error {
	var wg sync.WaitGroup
	errs := make([]error, 5)
	run := func(i int, f func() error) {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f() }()
	}
	run(0, func() error { return s.Inbox.Run(ctx) })
	run(1, func() error { return s.Outbox.Run(ctx) })
	run(3, func() error { return s.Bot.remind(ctx, time.Minute) })
	run(4, func() error { return s.Bot.pruneEvery(ctx, time.Hour) })
	if httpLn != nil {
		w := newWeb(s, s.log.With("part", "web"))
		run(2, func() error { return w.serve(ctx, httpLn) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Once handles every message waiting in the inbox and sends everything due.
func (s *Service) Once(ctx context.Context) error {
	if err := s.Inbox.Once(ctx); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	if _, err := s.Bot.SendReminders(ctx); err != nil {
		return err
	}
	if err := s.Bot.LapseRequests(ctx); err != nil {
		return err
	}
	sent, err := s.Outbox.Drain(ctx)
	s.Outbox.Close()
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	// After sending, so the write-ahead log keeps nothing a sent erasure message cleared.
	if err := s.Bot.PruneBodies(ctx); err != nil {
		return err
	}
	st, err := s.Store.OutboxStats(ctx)
	if err != nil {
		return err
	}
	s.log.Info("once: done", "sent", sent, "still_queued", st.Queued, "failed", st.Failed)
	return nil
}

// Close releases the database and stops the embedded mail server.
func (s *Service) Close() error {
	var errs []error
	if s.Mail != nil {
		errs = append(errs, s.Mail.Close())
	}
	errs = append(errs, s.Store.Close())
	return errors.Join(errs...)
}
