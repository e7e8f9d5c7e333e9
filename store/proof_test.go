package store

import (
	"fmt"
	"testing"
	"time"
)

// TestQueuedForOneMailbox: the reply limit counts a mailbox and every
// +tag of it, in ASCII case only, apart for proven and unproven messages,
// and not what went to staff as a hand-off.
func TestQueuedForOneMailbox(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	n := 0
	queue := func(kind, rcpt string, proven bool) {
		n++
		e.write(func(tx *Tx) error {
			id, err := tx.RecordInbound(e.ctx, Inbound{Key: fmt.Sprintf("<in%d@x>", n), Mailbox: "INBOX", UIDValidity: 1, UID: uint32(n),
				Sender: rcpt, ReceivedAt: bookT0, HandledAt: bookT0, Proven: proven})
			if err != nil {
				return err
			}
			_, err = tx.Enqueue(e.ctx, OutMessage{Kind: kind, MessageID: fmt.Sprintf("<out%d@bot>", n), MailFrom: "bot@x", Rcpt: rcpt, Body: []byte("x"), InboundID: id}, bookT0)
			return err
		})
	}
	queue("answer", "mary@example.org", false)
	queue("answer", "Mary+1@EXAMPLE.org", false)
	queue("answer", "mary+books@example.org", true)
	queue("handoff", "mary@example.org", false)
	queue("answer", "mary@example.org.evil", false)
	queue("answer", "maryann@example.org", false)
	queue("answer", "mary,@example.org", false)
	queue("answer", "m\u212aary@example.org", false)
	count := func(proven bool) int {
		var got int
		e.write(func(tx *Tx) error {
			var err error
			got, err = tx.QueuedFor(e.ctx, "mary@example.org", proven, bookT0.Add(-time.Hour))
			return err
		})
		return got
	}
	if got := count(false); got != 2 {
		t.Errorf("unproven replies to mary's mailbox = %d, want 2", got)
	}
	if got := count(true); got != 1 {
		t.Errorf("proven replies to mary's mailbox = %d, want 1", got)
	}
}

// TestCites: only what we sent to that very address cites it.
func TestCites(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	ann, bob := e.person("ann@example.org"), e.person("bob@example.org")
	e.write(func(tx *Tx) error {
		_, err := tx.Enqueue(e.ctx, OutMessage{Kind: "answer", MessageID: "<to-ann@bot>", MailFrom: "bot@x", Rcpt: "ann@example.org", Body: []byte("x")}, bookT0)
		return err
	})
	e.saveOffer(Offer{Token: "abcdef1234", MessageID: "<offer-ann@bot>", PersonID: ann, Kind: OfferBook, Items: []string{}})
	e.saveOffer(Offer{Token: "zyxwvu9876", MessageID: "<offer-bob@bot>", PersonID: bob, Kind: OfferBook, Items: []string{}})
	for _, c := range []struct {
		name, addr string
		ref        OfferRef
		want       bool
	}{
		{"our message to her", "ann@example.org", OfferRef{MessageIDs: []string{"<x@y>", "<to-ann@bot>"}}, true},
		{"our message to her, in capitals", "ANN@example.org", OfferRef{MessageIDs: []string{"<to-ann@bot>"}}, true},
		{"our message to someone else", "bob@example.org", OfferRef{MessageIDs: []string{"<to-ann@bot>"}}, false},
		{"her token", "ann@example.org", OfferRef{Token: "abcdef1234"}, true},
		{"someone else's token", "ann@example.org", OfferRef{Token: "zyxwvu9876"}, false},
		{"her subject reference", "ann@example.org", OfferRef{Subject: "abcdef"}, true},
		{"someone else's subject reference", "ann@example.org", OfferRef{Subject: "zyxwvu"}, false},
		{"a short reference", "ann@example.org", OfferRef{Subject: "abc"}, false},
		{"nothing", "ann@example.org", OfferRef{Since: bookT0.Add(-time.Hour)}, false},
	} {
		var got bool
		e.write(func(tx *Tx) error {
			var err error
			got, err = tx.Cites(e.ctx, c.addr, c.ref)
			return err
		})
		if got != c.want {
			t.Errorf("%s: Cites = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestGuessedOffer: the newest open question, found with no reference, is
// marked a guess, and a question whether a message was theirs is never
// found that way.
func TestGuessedOffer(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	ann := e.person("ann@example.org")
	e.saveOffer(Offer{Token: "list000001", MessageID: "<list@bot>", PersonID: ann, Kind: OfferBook, Items: []string{"s1"}})
	since := OfferRef{Since: bookT0.Add(-time.Hour)}
	if o, err := e.findOffer(ann, since); err != nil || !o.Guessed {
		t.Errorf("newest question: %+v, %v; want it, guessed", o, err)
	}
	if o, err := e.findOffer(ann, OfferRef{Token: "list000001"}); err != nil || o.Guessed {
		t.Errorf("by token: %+v, %v; want it, not guessed", o, err)
	}
	e.saveOffer(Offer{Token: "prove00001", MessageID: "<prove@bot>", PersonID: ann, Kind: OfferProve,
		Items: []string{"cancel your place on\nA\nB"}, Words: "cancel", Subject: "cancel it", Parent: 1})
	if o, err := e.findOffer(ann, since); err != nil || o.Kind != OfferBook {
		t.Errorf("newest question with a proof question newer: %+v, %v; want the list", o, err)
	}
	o, err := e.findOffer(ann, OfferRef{MessageIDs: []string{"<prove@bot>"}})
	if err != nil || o.Words != "cancel" || o.Subject != "cancel it" || o.Parent != 1 || o.Created.IsZero() {
		t.Errorf("proof question by its message: %+v, %v", o, err)
	}
}
