package mailbot

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"

	"github.com/betterdays/mailbot/mailbot/understand"
)

// Batch is messages read ahead of the transaction that handles them.
// Handling is one transaction at a time; parsing a message and reading its
// words need nothing from it, so they run on every core, and the inbox
// reads the next batch while this one is handled.
type Batch struct {
	ds   []Delivery
	msgs []readAhead
	// now is the batch's moment: the words were read against it, and the
	// transaction acts at it, so a reading made ahead is the one it wants.
	now time.Time
}

// readAhead is one message parsed, and what its words say if the
// transaction finds the context they were read against.
type readAhead struct {
	m   *understand.Message
	err error // what could not be read of the message
	desk.Reading
}

// ReadAhead parses ds and reads their words on every core. The words are
// read against the sessions upcoming now and as though the message
// answered no numbered list: the transaction uses that reading only where
// its own context is the same (the usual case, a message that starts a
// conversation), and reads again otherwise.
func (b *Bot) ReadAhead(ctx context.Context, ds []Delivery) *Batch {
	batch := &Batch{ds: ds, msgs: make([]readAhead, len(ds)), now: b.clock.Now()}
	upcoming, err := b.store.UpcomingSessions(ctx, batch.now, "")
	if err != nil {
		// The transaction reads the sessions itself and will say why.
		upcoming = nil
	}
	tt := desk.TimetableOf(upcoming)
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range min(len(ds), runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(ds); i = int(next.Add(1) - 1) {
				r := &batch.msgs[i]
				if ds[i].Truncated {
					r.m, r.err = understand.ParseHeader(ds[i].Raw)
					continue
				}
				r.m, r.err = understand.Parse(ds[i].Raw)
				if r.m != nil {
					r.Reading = b.desk.ReadAhead(r.m, batch.now, tt)
				}
			}
		})
	}
	wg.Wait()
	return batch
}
