package mailbot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/betterdays/mailbot/store"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Handler does what messages ask and commits them; see Bot.ReadAhead and
// Bot.HandleBatch.
type Handler interface {
	ReadAhead(ctx context.Context, ds []Delivery) *Batch
	HandleBatch(ctx context.Context, b *Batch) (int, error)
}

var _ Handler = (*Bot)(nil)

const (
	inboxName = "INBOX"
	// A fetch asks for at most this many messages, or this many bytes, at
	// once: few round trips, bounded memory.
	fetchBatch      = 50
	fetchBatchBytes = 32 << 20
)

// Inbox reads new messages from the server, hands each to the Handler, and
// flags it \Seen (or moves it) only after the Handler committed it. Where it
// has got to is kept in the store as UIDVALIDITY and the last UID handled, so
// a restart neither skips nor repeats a message, whoever else reads the
// mailbox. A database's first look at a mailbox leaves alone what was read
// there before (see firstLook).
type Inbox struct {
	// ReplaySeen makes a first look handle messages already read too, and
	// a later look handle those a first look left alone: for an operator
	// who wants the mailbox's history answered. Set it before Run or Once.
	ReplaySeen bool

	ep        Endpoint
	processed string
	maxBytes  int64
	poll      time.Duration
	retryBase time.Duration // the first wait before connecting again
	noIdle    bool
	store     *store.Store
	handler   Handler
	log       *slog.Logger

	connected atomic.Bool
	lastPoll  atomic.Int64 // Unix milliseconds of the last completed look
}

// NewInbox returns an Inbox reading ep's INBOX.
func NewInbox(cfg Config, st *store.Store, h Handler, log *slog.Logger) *Inbox {
	return &Inbox{
		ep: cfg.IMAP, processed: cfg.ProcessedFolder, maxBytes: cfg.MaxMessageBytes,
		poll: cfg.PollInterval, retryBase: cmp.Or(cfg.InboxRetryBase, time.Second), noIdle: cfg.NoIdle,
		store: st, handler: h, log: log,
	}
}

// InboxStatus is what health checks report of the inbox.
type InboxStatus struct {
	Connected bool
	LastPoll  time.Time // zero before the first completed look
}

// Status returns whether the inbox is connected and when it last looked.
func (in *Inbox) Status() InboxStatus {
	st := InboxStatus{Connected: in.connected.Load()}
	if ms := in.lastPoll.Load(); ms != 0 {
		st.LastPoll = time.UnixMilli(ms)
	}
	return st
}

// Run reads mail until ctx is done, reconnecting with backoff whenever the
// connection fails. The message in hand when ctx ends is finished first.
func (in *Inbox) Run(ctx context.Context) error {
	backoff := in.retryBase
	for {
		start := time.Now()
		err := in.session(ctx, false)
		in.connected.Store(false)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) > time.Minute {
			backoff = in.retryBase // it worked for a while: start over
		}
		in.log.Warn("inbox stopped; starting again", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Minute)
	}
}

// Once handles every message waiting and returns.
func (in *Inbox) Once(ctx context.Context) error {
	defer in.connected.Store(false)
	return in.session(ctx, true)
}

// session is one connection: log in, catch up, then wait for mail.
func (in *Inbox) session(ctx context.Context, once bool) error {
	wake := make(chan struct{}, 1)
	c, err := dialIMAP(ctx, in.ep, imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			// Runs on the client's reader goroutine: never block here.
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case wake <- struct{}{}:
					default:
					}
				}
			},
		},
	})
	if err != nil {
		return err
	}
	defer c.Close()
	sel, err := c.Select(inboxName, nil).Wait()
	if err != nil {
		return fmt.Errorf("select %s: %w", inboxName, err)
	}
	if in.processed != "" {
		if err := in.ensureFolder(c); err != nil {
			return err
		}
	}
	in.connected.Store(true)
	in.log.Info("inbox connected", "server", in.ep, "uidvalidity", sel.UIDValidity, "messages", sel.NumMessages)

	if err := in.compareMailbox(ctx, c, sel); err != nil {
		return err
	}
	uidValidity := sel.UIDValidity
	// Messages committed before a crash but not yet flagged (or moved).
	pending, err := in.store.Unmarked(ctx, inboxName, uidValidity)
	if err != nil {
		return err
	}
	if in.processed != "" && len(pending) > 0 {
		if pending, err = in.stillHere(ctx, c, uidValidity, pending); err != nil {
			return err
		}
	}
	if err := in.mark(ctx, c, uidValidity, pending); err != nil {
		return err
	}
	skip, err := in.leftAlone(ctx, c, uidValidity)
	if err != nil {
		return err
	}

	hasIdle := c.Caps().Has(imap.CapIdle) && !in.noIdle
	for {
		if err := in.catchUp(ctx, c, uidValidity, skip); err != nil {
			return err
		}
		in.lastPoll.Store(time.Now().UnixMilli())
		if once || ctx.Err() != nil {
			return c.Logout().Wait()
		}
		if hasIdle {
			err = in.idle(ctx, c, wake)
		} else {
			err = in.sleep(ctx, c)
		}
		if err != nil {
			return err
		}
	}
}

// compareMailbox sets what the database remembers of the inbox against
// the mailbox the server has just selected: the first look at it, a new
// UIDVALIDITY, or UIDs that went backwards.
func (in *Inbox) compareMailbox(ctx context.Context, c *imapclient.Client, sel *imap.SelectData) error {
	state, known, err := in.store.MailboxState(ctx, inboxName)
	if err != nil {
		return err
	}
	switch {
	case !known:
		return in.firstLook(ctx, c, sel)
	case state.UIDValidity != sel.UIDValidity:
		// Not a first look: this database has the Message-IDs of what it
		// handled, so nothing is answered twice and nothing need be left
		// alone.
		in.log.Warn("UIDVALIDITY changed: reading the whole mailbox again; messages already handled are recognised by Message-ID",
			"old", state.UIDValidity, "new", sel.UIDValidity)
		return in.store.ResetMailbox(ctx, inboxName, sel.UIDValidity)
	case sel.UIDNext != 0 && state.LastUID >= uint32(sel.UIDNext):
		// The server numbers new mail from below what we handled, under
		// the same UIDVALIDITY: it lost the mailbox and began again,
		// which RFC 9051 section 2.3.1.1 forbids. A message is known by
		// its UID as well as its Message-ID, so the new ones up to the
		// old mark would pass as handled; they are left unread for a
		// person to see, and this says so, loudly.
		in.log.Error("the mailbox's UIDs went backwards under the same UIDVALIDITY: the mail server renumbered it. "+
			"New messages up to last_uid_handled are taken for ones handled before and not answered: read them by hand, "+
			"or have the server give the mailbox a new UIDVALIDITY",
			"uidvalidity", sel.UIDValidity, "last_uid_handled", state.LastUID, "uidnext", sel.UIDNext)
	}
	return nil
}

// idle waits in IDLE for new mail, for at most the poll interval: a wake-up
// is a hint, not a promise, so the mailbox is searched after every return.
func (in *Inbox) idle(ctx context.Context, c *imapclient.Client, wake <-chan struct{}) error {
	cmd, err := c.Idle()
	if err != nil {
		return fmt.Errorf("IDLE: %w", err)
	}
	t := time.NewTimer(in.poll)
	defer t.Stop()
	select {
	case <-wake:
	case <-t.C:
	case <-ctx.Done():
	case <-c.Closed():
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("end IDLE: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("IDLE: %w", err)
	}
	return nil
}

// sleep is the fallback for servers without IDLE: wait, then NOOP so the
// server tells us of new mail and we know the connection is alive.
func (in *Inbox) sleep(ctx context.Context, c *imapclient.Client) error {
	select {
	case <-ctx.Done():
		return nil
	case <-c.Closed():
		return errors.New("connection closed")
	case <-time.After(in.poll):
	}
	return c.Noop().Wait()
}

// firstLook starts this database's record of a mailbox it has never read.
// What is already read there (\Seen) was handled before the database
// existed, by the bot on a lost or replaced database or by a person:
// answering it again would send second replies and make bookings again, so
// it is left alone, and the log says so and how to have it handled. With a
// processed folder, INBOX holds only what is still to be handled (handled
// mail was moved), so all of it is handled, read or not.
func (in *Inbox) firstLook(ctx context.Context, c *imapclient.Client, sel *imap.SelectData) error {
	log := in.log.With("mailbox", inboxName, "uidvalidity", sel.UIDValidity)
	if in.processed != "" {
		st, err := c.Status(in.processed, &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			return fmt.Errorf("count the messages in %s: %w", in.processed, err)
		}
		var n uint32
		if st.NumMessages != nil {
			n = *st.NumMessages
		}
		log.Info("first look at this mailbox: every message in it is handled; those in the processed folder were handled before and are left alone (move one back to the mailbox to have it handled)",
			"folder", in.processed, "left_alone", n, "to_handle", sel.NumMessages)
		return in.store.ResetMailbox(ctx, inboxName, sel.UIDValidity)
	}
	if in.ReplaySeen {
		log.Info("first look at this mailbox: every message in it is handled, read or not (--replay-seen)",
			"left_alone", 0, "to_handle", sel.NumMessages)
		return in.store.ResetMailbox(ctx, inboxName, sel.UIDValidity)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{Flag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		return fmt.Errorf("look for messages already read in %s: %w", inboxName, err)
	}
	seen := data.AllUIDs()
	var set imap.UIDSet
	set.AddNum(seen...)
	ranges := make([]store.UIDRange, 0, len(set))
	for _, r := range set {
		ranges = append(ranges, store.UIDRange{First: uint32(r.Start), Last: uint32(r.Stop)})
	}
	if err := in.store.FirstLook(ctx, inboxName, sel.UIDValidity, ranges); err != nil {
		return err
	}
	toHandle := max(int(sel.NumMessages)-len(seen), 0)
	if len(seen) == 0 {
		log.Info("first look at this mailbox: nothing in it was read before; every message is handled",
			"left_alone", 0, "to_handle", toHandle)
		return nil
	}
	log.Warn("first look at this mailbox: messages already marked read were handled before this database and are left alone; to have them handled too, run `mailbot run --once --replay-seen`",
		"left_alone", len(seen), "to_handle", toHandle)
	return nil
}

// leftAlone returns the messages a first look left alone, to be skipped.
// With ReplaySeen it handles them instead, and forgets them once done.
func (in *Inbox) leftAlone(ctx context.Context, c *imapclient.Client, uidValidity uint32) (imap.UIDSet, error) {
	ranges, err := in.store.LeftAlone(ctx, inboxName, uidValidity)
	if err != nil || len(ranges) == 0 {
		return nil, err
	}
	var set imap.UIDSet
	for _, r := range ranges {
		set.AddRange(imap.UID(r.First), imap.UID(r.Last))
	}
	if !in.ReplaySeen {
		return set, nil
	}
	metas, err := c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true, InternalDate: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("list the messages left alone in %s: %w", inboxName, err)
	}
	slices.SortFunc(metas, func(a, b *imapclient.FetchMessageBuffer) int { return int(a.UID) - int(b.UID) })
	in.log.Info("handling the messages the first look left alone (--replay-seen)", "mailbox", inboxName, "messages", len(metas))
	if err := in.handleAll(ctx, c, uidValidity, metas); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		// Stopped part-way: the rest are still left alone, and a run
		// with --replay-seen again handles them (those done are known).
		return set, nil
	}
	return nil, in.store.ForgetLeftAlone(context.WithoutCancel(ctx), inboxName)
}

// catchUp handles every message above the last UID handled, in UID order,
// but those in skip.
func (in *Inbox) catchUp(ctx context.Context, c *imapclient.Client, uidValidity uint32, skip imap.UIDSet) error {
	for ctx.Err() == nil {
		state, _, err := in.store.MailboxState(ctx, inboxName)
		if err != nil {
			return err
		}
		metas, skipped, err := in.newMessages(c, state.LastUID, skip)
		if err != nil {
			return err
		}
		if len(metas) == 0 {
			if skipped == 0 {
				return nil
			}
			// Nothing but messages left alone lies above the last one
			// handled: step over them, or every look lists them again.
			if err := in.store.SkipTo(ctx, inboxName, uidValidity, skipped); err != nil {
				return err
			}
			continue
		}
		if err := in.handleAll(ctx, c, uidValidity, metas); err != nil {
			return err
		}
	}
	return nil
}

// handleAll handles metas in batches, in order. While the handler commits
// one batch, the next is fetched and read ahead: the transaction is one
// core's work, and this keeps the other busy. The connection still carries
// one command at a time: a batch is marked after the next one is fetched.
func (in *Inbox) handleAll(ctx context.Context, c *imapclient.Client, uidValidity uint32, metas []*imapclient.FetchMessageBuffer) error {
	next := func() *ahead {
		if len(metas) == 0 || ctx.Err() != nil {
			return nil
		}
		n := batchLen(metas, in.maxBytes)
		a := in.fetchAhead(ctx, c, uidValidity, metas[:n])
		metas = metas[n:]
		return a
	}
	var a *ahead
	// Nothing read ahead outlives the session.
	defer func() {
		if a != nil {
			a.read()
		}
	}()
	for a = next(); a != nil; {
		b, err := a.read()
		if err != nil {
			return err
		}
		a = next()
		var done []uint32
		var herr error
		if b != nil {
			// The commit is never cut off half-way by shutdown.
			var n int
			n, herr = in.handler.HandleBatch(context.WithoutCancel(ctx), b)
			for _, d := range b.ds[:n] {
				done = append(done, d.UID)
			}
		}
		if a != nil {
			// Whatever happens next, nothing may be left in flight on
			// the connection.
			<-a.fetched
		}
		if err := in.mark(ctx, c, uidValidity, done); err != nil {
			return err
		}
		if herr != nil {
			return herr
		}
	}
	return nil
}

// ahead is a batch being fetched and read ahead.
type ahead struct {
	fetched chan struct{} // closed when the connection is free again
	done    chan struct{} // closed when b and err are set
	b       *Batch        // nil when every message vanished
	err     error
}

// fetchAhead starts fetching metas and reading them ahead.
func (in *Inbox) fetchAhead(ctx context.Context, c *imapclient.Client, uidValidity uint32, metas []*imapclient.FetchMessageBuffer) *ahead {
	a := &ahead{fetched: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		ds, err := in.fetch(c, uidValidity, metas)
		close(a.fetched)
		if a.err = err; err == nil && len(ds) > 0 {
			a.b = in.handler.ReadAhead(ctx, ds)
		}
	}()
	return a
}

// read waits for the batch.
func (a *ahead) read() (*Batch, error) {
	<-a.done
	return a.b, a.err
}

// batchLen is how many of metas the next fetch asks for: at most
// fetchBatch messages and about fetchBatchBytes.
func batchLen(metas []*imapclient.FetchMessageBuffer, maxBytes int64) int {
	n, size := 0, int64(0)
	for n < len(metas) && n < fetchBatch && (n == 0 || size+min(metas[n].RFC822Size, maxBytes) <= fetchBatchBytes) {
		size += min(metas[n].RFC822Size, maxBytes)
		n++
	}
	return n
}

// newMessages lists the UID, size and arrival time of messages above last,
// but those in skip; skipped is the highest UID it left out for being in
// skip, or 0.
func (in *Inbox) newMessages(c *imapclient.Client, last uint32, skip imap.UIDSet) (msgs []*imapclient.FetchMessageBuffer, skipped uint32, err error) {
	var set imap.UIDSet
	set.AddRange(imap.UID(last+1), 0) // last+1:*
	msgs, err = c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true, InternalDate: true}).Collect()
	if err != nil {
		return nil, 0, fmt.Errorf("list new messages: %w", err)
	}
	// "last+1:*" names the newest message even when its UID is below
	// last+1 (RFC 9051 section 6.4.8), so filter.
	msgs = slices.DeleteFunc(msgs, func(m *imapclient.FetchMessageBuffer) bool {
		if uint32(m.UID) <= last {
			return true
		}
		if skip.Contains(m.UID) {
			skipped = max(skipped, uint32(m.UID))
			return true
		}
		return false
	})
	slices.SortFunc(msgs, func(a, b *imapclient.FetchMessageBuffer) int { return int(a.UID) - int(b.UID) })
	return msgs, skipped, nil
}

var (
	wholeSection  = &imap.FetchItemBodySection{Peek: true}
	headerSection = &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
)

// fetch reads metas' messages in one command (two when some are too large
// to read whole), in UID order.
func (in *Inbox) fetch(c *imapclient.Client, uidValidity uint32, metas []*imapclient.FetchMessageBuffer) ([]Delivery, error) {
	var whole, headers imap.UIDSet
	for _, m := range metas {
		if m.RFC822Size > in.maxBytes {
			headers.AddNum(m.UID)
		} else {
			whole.AddNum(m.UID)
		}
	}
	bodies := map[imap.UID][]byte{}
	for _, f := range []struct {
		set     imap.UIDSet
		section *imap.FetchItemBodySection
	}{{whole, wholeSection}, {headers, headerSection}} {
		if len(f.set) == 0 {
			continue
		}
		msgs, err := c.Fetch(f.set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{f.section}}).Collect()
		if err != nil {
			return nil, fmt.Errorf("fetch messages %v: %w", f.set, err)
		}
		for _, m := range msgs {
			bodies[m.UID] = m.FindBodySection(f.section)
		}
	}

	ds := make([]Delivery, 0, len(metas))
	for _, m := range metas {
		raw, ok := bodies[m.UID]
		if !ok {
			// Expunged by someone else between listing and fetching.
			in.log.Info("message vanished before it could be read", "uid", m.UID)
			continue
		}
		ds = append(ds, Delivery{
			Mailbox: inboxName, UIDValidity: uidValidity, UID: uint32(m.UID),
			Received: m.InternalDate, Size: m.RFC822Size, Raw: raw,
			Truncated: m.RFC822Size > in.maxBytes,
		})
	}
	return ds, nil
}

// mark flags handled messages \Seen, or moves them to the processed folder,
// and records that it did.
func (in *Inbox) mark(ctx context.Context, c *imapclient.Client, uidValidity uint32, uids []uint32) error {
	if len(uids) == 0 {
		return nil
	}
	var set imap.UIDSet
	for _, u := range uids {
		set.AddNum(imap.UID(u))
	}
	if in.processed != "" {
		if _, err := c.Move(set, in.processed).Wait(); err != nil {
			return fmt.Errorf("move %v to %s: %w", set, in.processed, err)
		}
	} else {
		err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
		if err != nil {
			return fmt.Errorf("flag %v \\Seen: %w", set, err)
		}
	}
	return in.store.SetMarked(context.WithoutCancel(ctx), inboxName, uidValidity, uids)
}

// stillHere returns those of uids still in the INBOX, and records the
// others as marked: a crash after their move but before its record left
// them moved already, and moving a message that is not there is an error
// on some servers (go-imap's own answers it with a broken response).
func (in *Inbox) stillHere(ctx context.Context, c *imapclient.Client, uidValidity uint32, uids []uint32) ([]uint32, error) {
	var set imap.UIDSet
	for _, u := range uids {
		set.AddNum(imap.UID(u))
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{set}}, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("look for %v in %s: %w", set, inboxName, err)
	}
	here := map[uint32]bool{}
	for _, u := range data.AllUIDs() {
		here[uint32(u)] = true
	}
	var keep, gone []uint32
	for _, u := range uids {
		if here[u] {
			keep = append(keep, u)
		} else {
			gone = append(gone, u)
		}
	}
	if len(gone) > 0 {
		if err := in.store.SetMarked(context.WithoutCancel(ctx), inboxName, uidValidity, gone); err != nil {
			return nil, err
		}
	}
	return keep, nil
}

// ensureFolder creates the processed folder if it is missing. go-imap's
// MOVE falls back to COPY + STORE + EXPUNGE on servers without MOVE.
func (in *Inbox) ensureFolder(c *imapclient.Client) error {
	if _, err := c.Status(in.processed, &imap.StatusOptions{NumMessages: true}).Wait(); err == nil {
		return nil
	}
	if err := c.Create(in.processed, nil).Wait(); err != nil {
		return fmt.Errorf("create folder %s: %w", in.processed, err)
	}
	return nil
}
