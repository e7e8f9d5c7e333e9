package mailbot

import (
	"context"
	"log/slog"
	"strings"

	"github.com/betterdays/mailbot/mailbot/desk"

	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// Bot decides what each inbound message needs and records it, with the
// replies it owes, in one transaction.
type Bot struct {
	cfg    Config
	store  *store.Store
	tpl    *templates.Set
	clock  Clock
	log    *slog.Logger
	queued func()      // told after a commit that queued mail, to wake the outbox
	sign   signer      // the tokens in our links and addresses
	issues issues      // newsletters being sent, rendered once each
	copies copyBuffers // the bytes of newsletter copies sent, to make the next in
	desk   *desk.Desk
}

// NewBot returns a Bot, reading (or, on first run, making) the signing key
// in cfg.SecretFile. queued is called after every commit that put mail in
// the outbox.
func NewBot(cfg Config, st *store.Store, tpl *templates.Set, clock Clock, log *slog.Logger, queued func()) (*Bot, error) {
	key, err := loadSecret(cfg.SecretFile)
	if err != nil {
		return nil, err
	}
	// Read once: the token never changes (NewBot takes no context, and
	// this one read cannot wait on anything but the disk).
	uids, err := st.CalendarUIDs(context.Background())
	if err != nil {
		return nil, err
	}
	b := &Bot{cfg: cfg, store: st, tpl: tpl, clock: clock, log: log, queued: queued,
		sign: newSigner(key, clock, cfg.BaseURL.String())}
	b.desk = desk.New(desk.Env{
		Address: cfg.Address, TZ: cfg.TZ, Staff: cfg.Staff,
		AuthServID: cfg.AuthServID, StaffDomainProof: cfg.StaffDomainProof,
		MaxPlaces: cfg.MaxPlaces, ReplyLimit: cfg.ReplyLimit, MaxMessageBytes: cfg.MaxMessageBytes,
		ConfirmWithin: cfg.ConfirmWithin, CalendarUIDs: uids,
		Log: log, Templates: tpl, Links: b.sign, Newsletters: newsletters{b}, Access: accessDesk{cfg},
	})
	return b, nil
}

// NewOutbox returns the outbox that sends what b queues, as configured:
// its connections, limits and lock, and b's newsletter copies and bounce
// addresses.
func (b *Bot) NewOutbox(log *slog.Logger) *Outbox {
	_, domain, _ := strings.Cut(b.cfg.Address, "@")
	dial := func() Sender { return NewSMTPSender(b.cfg.SMTP, domain, log) }
	o := NewOutbox(b.store, dial(), b.clock, log, b.cfg.RetryBase, b.cfg.GiveUpAfter).
		WithConnections(b.cfg.Connections, dial).
		WithLimits(b.cfg.PerMinute, b.cfg.PerDay).
		WithLock(b.cfg.DB + ".sending")
	o.prepare = b
	return o
}
