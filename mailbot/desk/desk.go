// Package desk answers one message inside the transaction that records it:
// the conversation. Booking, drop-ins, cancelling and moving, attendee
// lists, calendar replies, acting for someone on staff's word, joining and
// leaving the list by email, a member of staff's newsletter preview,
// erasure by email, hand-offs to staff, proof of who is writing, views
// kept as contributions with their consent, a member of staff's SEND to
// resume list mail, and the replies all of these owe. Beside messages, it
// says what the organisers' own acts owe people (Moved, Withdrawn,
// Promoted, BookTaken, Reminder), in the caller's transaction the same
// way.
//
// The contract, which the caller relies on for "nothing lost, nothing
// twice": the desk reads and writes only through the *store.Tx it is
// given, does no other I/O (no network, no files, no clock: the moment is
// given too), and returns the replies it owes in the order they are to be
// sent. Everything it returns is committed with the message or not at
// all; the caller renders the replies into the outbox in the same
// transaction. The desk never sends mail itself.
//
// What it needs from around it is an Env: the settings it uses, a logger,
// the templates, and two narrow seams, Links for signed tokens and
// NewsletterDesk for drafting and queuing a newsletter.
package desk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/address"
	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// Env is what the desk needs from the service around it.
type Env struct {
	Address string // the bot's own address
	TZ      *time.Location
	Staff   []string // staff addresses, canonical
	// AuthServID is our receiving server's authserv-id (RFC 8601): only
	// its Authentication-Results are believed.
	AuthServID string
	// StaffDomainProof lets a domain's pass prove a staff address.
	StaffDomainProof bool
	MaxPlaces        int           // the most places one request may take
	ReplyLimit       int           // the most mail one address gets in an hour
	MaxMessageBytes  int64         // a larger message was not read whole
	ConfirmWithin    time.Duration // how long a request to join waits for its YES
	// CalendarUIDs makes this database's calendar UIDs its own (store
	// migration 0010).
	CalendarUIDs store.CalendarUIDs
	Log          *slog.Logger
	Templates    *templates.Set
	Links        Links
	Newsletters  NewsletterDesk
	Access       AccessDesk
}

// Purpose is what a signed token was made for: one made for one purpose is
// refused for any other.
type Purpose byte

// The purposes of our tokens. Their values are in tokens already sent, so
// they never change.
const (
	PurposeLeave   Purpose = 'u' // leave the list (links and List-Unsubscribe)
	PurposeConfirm Purpose = 'c' // confirm joining the list
	PurposeBounce  Purpose = 'b' // the envelope sender of one outbox message
)

// Links makes and checks the signed tokens in our links and addresses.
type Links interface {
	// Token signs id for purpose; a zero ttl never expires.
	Token(p Purpose, id int64, ttl time.Duration) string
	// Check is the id a token signed for purpose, unless it is forged,
	// for another purpose, or expired.
	Check(p Purpose, token string) (int64, error)
	// URL is the public address of one of our web pages for a token.
	URL(page, token string) string
}

// NewsletterDesk drafts a member of staff's newsletter and, on their SEND,
// queues it, inside the desk's transaction.
type NewsletterDesk interface {
	Draft(ctx context.Context, tx *store.Tx, subject, markdown, source string) (store.Newsletter, error)
	// Preview is what the newsletter says to p, as the copy they'd get.
	Preview(n store.Newsletter, p store.Person) (templates.Newsletter, error)
	Queue(ctx context.Context, tx *store.Tx, n store.Newsletter) (int, error)
	// Finish says when a newsletter to count people will have gone.
	Finish(count int) string
}

// AccessDesk makes, in the desk's transaction, the copy of everything
// held about an address that a subject-access request is answered with.
type AccessDesk interface {
	Export(ctx context.Context, tx *store.Tx, email string, now time.Time) ([]byte, error)
}

// Desk answers messages.
type Desk struct{ env Env }

// New returns a desk working in env.
func New(env Env) *Desk { return &Desk{env: env} }

// Message is one message to answer, as read ahead of the transaction.
type Message struct {
	*understand.Message
	Raw       []byte // as it came, to pass to staff
	Size      int64
	Truncated bool // only its header was read: too large
	Reading   Reading
}

// Answered is what the desk made of a message.
type Answered struct {
	Outcome Outcome // for the record and the log
	Replies []Reply // in the order they are owed
	// Proven is whether the message proved its sender (a limit of its
	// own, so a forger's flood can't silence the person).
	Proven bool
}

// Answer does what m asks, in tx, at now. The caller has made sure m has
// a valid sender that isn't ours and is not automatic mail the desk has no
// part in (bounces are the caller's).
func (d *Desk) Answer(ctx context.Context, tx *store.Tx, m Message, now time.Time) (Answered, error) {
	proof := ServerProof(m.Header, d.env.AuthServID, m.From)
	staff := d.staffBy(m.From, proof)
	if proof == Unproven {
		cites, err := tx.Cites(ctx, m.From, d.offerRef(m.Message, now))
		if err != nil {
			return Answered{}, err
		}
		if cites {
			proof = Cited
		}
	}
	a := Answered{Proven: proof != Unproven}
	// A forged From could otherwise turn the bot into a way to flood a
	// stranger's inbox, or act for them over and over. Mail that proves
	// its sender has a limit of its own, so a forger's flood can't
	// silence the person; it still has one, against a loop with a
	// program that answers every email. Proven staff at work have none.
	if !staff {
		n, err := tx.QueuedFor(ctx, address.Base(m.From), a.Proven, now.Add(-time.Hour))
		if err != nil {
			return Answered{}, err
		}
		if n >= d.env.ReplyLimit {
			a.Outcome, a.Replies, err = d.overLimit(ctx, tx, m.Message, m.Raw, now, n)
			return a, err
		}
	}
	person, err := tx.NotePerson(ctx, m.From, m.FromName, now)
	if err != nil {
		return Answered{}, err
	}
	// They wrote: their address works, whatever bounced before.
	if err := tx.Unsuppress(ctx, person); err != nil {
		return Answered{}, err
	}
	t := &turn{d: d, ctx: ctx, tx: tx, m: m.Message, now: now, person: person, raw: m.Raw, ahead: m.Reading, proof: proof}
	t.ans.Name = FirstName(m.FromName)
	if m.Truncated {
		t.answer("too-large", templates.TooLarge{Name: t.ans.Name, Size: megabytes(m.Size), Limit: megabytes(d.env.MaxMessageBytes)})
		a.Outcome, a.Replies = Replied.Of("too large to read"), t.replies
		return a, nil
	}
	outcome, kept, err := t.guarded()
	if err != nil {
		return Answered{}, err
	}
	if !kept {
		a.Outcome, a.Replies = d.askProof(t)
		return a, nil
	}
	a.Outcome, a.Replies = outcome, t.replies
	return a, nil
}

// ByLink does what a link's button asks of the list (leave, or confirm
// joining) for p, as a turn with no message. It returns the one short
// answer owed, only when something changed.
func (d *Desk) ByLink(ctx context.Context, tx *store.Tx, p store.Person, purpose Purpose, now time.Time) ([]Reply, error) {
	t := &turn{d: d, ctx: ctx, tx: tx, now: now, person: p.ID,
		m: &understand.Message{From: p.Email, FromName: p.Name}}
	t.ans.Name = FirstName(p.Name)
	var err error
	switch purpose {
	case PurposeLeave:
		err = t.leave(LeftByLink)
	case PurposeConfirm:
		err = t.confirmByLink()
	default:
		err = fmt.Errorf("no link does %q", rune(purpose))
	}
	if err != nil || len(t.did) == 0 {
		return nil, err
	}
	r := t.answer("answer", t.ans)
	r.Subject = "Better Days mailing list"
	return t.replies, nil
}

// ErrExpiredToken is a token that was ours but is no longer good: a link
// past its time, or a request to join the person has since left.
var ErrExpiredToken = errors.New("expired")

// OwnAddress reports whether addr is bot's, plus-addresses included:
// mail from ourselves is never answered.
func OwnAddress(bot, addr string) bool {
	return strings.Contains(addr, "@") && address.Base(addr) == address.Base(bot)
}

// PlusTag is the tag of the plus-address of bot's that m was sent to, or
// "": our Reply-To, List-Unsubscribe and envelope addresses each carry
// one.
func PlusTag(m *understand.Message, bot string) string {
	for _, field := range []string{"To", "Cc", "Delivered-To", "X-Original-To"} {
		addrs, _ := m.Header.AddressList(field)
		for _, a := range addrs {
			if tag, ok := address.Tag(a.Address); ok && address.Base(a.Address) == address.Base(bot) {
				return tag
			}
		}
	}
	return ""
}

// LeaveTag starts the plus-address tag of our List-Unsubscribe mailto:
// a message to it unsubscribes the person its token names, whatever it
// says (RFC 2369).
const LeaveTag = "leave-"
