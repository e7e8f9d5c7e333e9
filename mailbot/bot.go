package mailbot

import (
	"log/slog"

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
	queued func() // told after a commit that queued mail, to wake the outbox
}

// NewBot returns a Bot. queued is called after every commit that put mail
// in the outbox.
func NewBot(cfg Config, st *store.Store, tpl *templates.Set, clock Clock, log *slog.Logger, queued func()) *Bot {
	return &Bot{cfg: cfg, store: st, tpl: tpl, clock: clock, log: log, queued: queued}
}
