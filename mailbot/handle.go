package mailbot

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// Delivery is one message as the inbox found it.
type Delivery struct {
	Mailbox     string
	UIDValidity uint32
	UID         uint32
	Received    time.Time // the server's INTERNALDATE
	Size        int64
	Raw         []byte // the whole message, or only its header when Truncated
	Truncated   bool   // larger than MaxMessageBytes: only the header was fetched
}

// Handle decides what d needs and commits it: the record of the message,
// its effects and its replies, together. It returns an error only when
// nothing could be committed, so the caller must not flag the message and
// will see it again.
func (b *Bot) Handle(ctx context.Context, d Delivery) error {
	var m *understand.Message
	var perr error
	if d.Truncated {
		m, perr = understand.ParseHeader(d.Raw)
	} else {
		m, perr = understand.Parse(d.Raw)
	}
	log := b.log.With("uid", d.UID, "msgid", m.Key, "from", m.From)
	if perr != nil {
		log.Warn("message partly unreadable", "err", perr)
	}
	now := b.clock.Now()
	outcome, replies := b.decide(m, d)

	queued := false
	err := b.store.Write(ctx, func(tx *store.Tx) error {
		in := store.Inbound{
			Key: m.Key, Mailbox: d.Mailbox, UIDValidity: d.UIDValidity, UID: d.UID,
			Sender: m.From, Subject: m.Subject, Size: d.Size,
			ReceivedAt: d.Received, HandledAt: now, Outcome: outcome,
		}
		seen, err := tx.Handled(ctx, in)
		if err != nil {
			return err
		}
		if seen {
			outcome, replies = "duplicate", nil
			return tx.Advance(ctx, d.Mailbox, d.UIDValidity, d.UID)
		}
		if len(replies) > 0 {
			n, err := tx.QueuedFor(ctx, m.From, now.Add(-time.Hour))
			if err != nil {
				return err
			}
			// A forged From could otherwise turn the bot into a way to
			// flood a stranger's inbox.
			if n >= b.cfg.ReplyLimit {
				log.Warn("reply limit reached; not answering", "sent_last_hour", n)
				outcome, replies = fmt.Sprintf("not answered: reply limit (%d in the last hour)", n), nil
				in.Outcome = outcome
			}
		}
		id, err := tx.RecordInbound(ctx, in)
		if err != nil {
			return err
		}
		if len(replies) > 0 {
			if _, err := tx.NotePerson(ctx, m.From, m.FromName, now); err != nil {
				return err
			}
		}
		for _, r := range replies {
			out, err := b.compose(r)
			if err != nil {
				return err
			}
			out.InboundID = id
			if _, err := tx.Enqueue(ctx, out, now); err != nil {
				return err
			}
			queued = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("handle message uid %d: %w", d.UID, err)
	}
	log.Info("handled", "outcome", outcome, "replies", len(replies))
	if queued && b.queued != nil {
		b.queued()
	}
	return nil
}

// decide works out what a message needs: a short description of the outcome
// for the record, and the replies owed. It reads nothing but the message.
func (b *Bot) decide(m *understand.Message, d Delivery) (string, []reply) {
	switch {
	case m.From == "" || !validAddress(m.From):
		return "ignored: no valid sender", nil
	case b.cfg.IsOwnAddress(m.From):
		return "ignored: from our own address", nil
	case m.Automatic != "":
		return "ignored: automatic (" + m.Automatic + ")", nil
	}
	r := reply{to: m.From, toName: m.FromName, inReplyTo: m,
		subject: replySubject(m.Subject, "Better Days: what you can do by email")}
	if d.Truncated {
		r.kind = "too-large"
		r.data = templates.TooLarge{Name: firstName(m.FromName), Size: megabytes(d.Size), Limit: megabytes(b.cfg.MaxMessageBytes)}
		return "replied: too large to read", []reply{r}
	}
	asked := askedForHelp(m.Subject + "\n" + m.Text)
	r.kind = "help"
	r.data = templates.Help{Name: firstName(m.FromName), NotUnderstood: !asked}
	if asked {
		return "replied: help", []reply{r}
	}
	return "replied: help (not understood)", []reply{r}
}

var helpWords = regexp.MustCompile(`(?i)\b(help|info|information|hello|hi|what can (i|you) do)\b`)

// askedForHelp reports whether the person asked what the bot can do, as
// opposed to asking for something it could not read.
func askedForHelp(s string) bool {
	return helpWords.MatchString(s)
}

// validAddress accepts what we can safely put in an SMTP RCPT and a To
// header: one parseable address with a domain.
func validAddress(addr string) bool {
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != addr {
		return false
	}
	local, domain, ok := strings.Cut(addr, "@")
	return ok && local != "" && domain != "" && !strings.ContainsAny(addr, " \t\r\n<>")
}

// firstName is how a reply greets someone: "Mary" for "Mary Jones", nothing
// for a name that looks like an address.
func firstName(name string) string {
	name = understand.OneLine(name)
	if strings.Contains(name, "@") {
		return ""
	}
	if i := strings.IndexByte(name, ','); i > 0 { // "Jones, Mary"
		name = strings.TrimSpace(name[i+1:])
	}
	f, _, _ := strings.Cut(name, " ")
	return f
}

// megabytes rounds up, so a message just over the limit never reads as
// being the limit.
func megabytes(n int64) string {
	return fmt.Sprintf("%d MB", (n+1<<20-1)>>20)
}
