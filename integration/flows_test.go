//go:build integration

package integration

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot"
	"github.com/betterdays/mailbot/store"
)

// replyTo writes, as a mail client does, an answer to m: to its Reply-To
// (or From), threaded, with the quoted original under the person's words.
func (s *servers) replyTo(t *testing.T, from string, m *message, text string) string {
	t.Helper()
	to := botAddress
	if rt, _ := m.Header.AddressList("Reply-To"); len(rt) == 1 {
		to = rt[0].Address
	}
	subject, _ := m.Header.Subject()
	id := fmt.Sprintf("r%d.%s", time.Now().UnixNano(), from)
	raw := "From: " + from + "\r\nTo: " + to + "\r\nSubject: Re: " + subject + "\r\nMessage-ID: <" + id + ">\r\n" +
		"In-Reply-To: <" + m.messageID() + ">\r\nReferences: <" + m.messageID() + ">\r\n" +
		"Date: " + time.Now().Format(time.RFC1123Z) + "\r\n\r\n" + text + "\r\n\r\nOn Monday, Better Days wrote:\r\n> " +
		strings.ReplaceAll(strings.TrimSpace(m.text()), "\n", "\n> ") + "\r\n"
	s.sendRaw(t, from, to, raw)
	return id
}

// newest is a predicate for the message whose text says want, so a wait
// skips what arrived before.
func saying(want string) func(*message) bool {
	return func(m *message) bool { return strings.Contains(m.text(), want) }
}

// TestBookAndCancel: a booking by email and its cancellation by reply, on
// real servers: the confirmation carries the invitation, the reply to it
// reaches the bot through the plus-address of its Reply-To, and the place
// is given back.
func TestBookAndCancel(t *testing.T) {
	s := needServers(t)
	const ann = "ann@example.test"
	s.fresh(t, ann)
	bot := startBot(t, s, nil)
	if _, err := mailbot.LoadDemoTimetable(context.Background(), bot.Store, bot.Config.TZ, time.Now()); err != nil {
		t.Fatal(err)
	}

	s.send(t, "Ann Smith <"+ann+">", botAddress, "Booking", "Please book me on Learning new skills")
	conf := s.waitForMail(t, ann, saying("You are booked on:"))
	if !strings.Contains(conf.text(), "Learning new skills") {
		t.Errorf("confirmation text:\n%s", conf.text())
	}
	if ct := conf.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/mixed") {
		t.Errorf("confirmation Content-Type %q, want multipart/mixed with the invitation", ct)
	}
	if n := placesTaken(t, bot, "bd-2027-03"); n != 1 {
		t.Fatalf("%d places taken after booking, want 1", n)
	}

	s.replyTo(t, ann, conf, "Sorry, I can't make it now")
	s.waitForMail(t, ann, saying("I have cancelled:"))
	if n := placesTaken(t, bot, "bd-2027-03"); n != 0 {
		t.Errorf("%d places taken after cancelling, want 0", n)
	}
}

// TestListAndNewsletter: joining by email and YES, a newsletter to the
// list through Postfix, a real Sieve vacation that must not answer it, a
// booking by replying with a number to the newsletter, and
// leaving by the List-Unsubscribe address.
func TestListAndNewsletter(t *testing.T) {
	s := needServers(t)
	const mary, nora = "mary@example.test", "nora@example.test"
	s.fresh(t, mary, nora)
	s.SetSieve(t, nora, vacation)
	bot := startBot(t, s, nil)
	ctx := context.Background()
	if _, err := mailbot.LoadDemoTimetable(ctx, bot.Store, bot.Config.TZ, time.Now()); err != nil {
		t.Fatal(err)
	}

	for _, who := range []string{mary, nora} {
		s.send(t, who, botAddress, "Mailing list", "Please add me to your mailing list")
		ask := s.waitForMail(t, who, saying("please reply"))
		s.replyTo(t, who, ask, "YES")
		s.waitForMail(t, who, saying("you are on our mailing list"))
	}

	err := bot.Store.Write(ctx, func(tx *store.Tx) error {
		n, err := bot.Bot.DraftNewsletter(ctx, tx, "What's on in the summer", "Dear all,\n\nHere is what's on:\n\n{{sessions}}\n", "cli")
		if err != nil {
			return err
		}
		queued, err := bot.Bot.QueueNewsletter(ctx, tx, n)
		if queued != 2 && err == nil {
			err = fmt.Errorf("queued for %d, want 2", queued)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	bot.Outbox.Wake()
	copyTo := map[string]*message{}
	for _, who := range []string{mary, nora} {
		copyTo[who] = s.waitForMail(t, who, saying("Here is what's on"))
		h := copyTo[who].Header
		if h.Get("List-Unsubscribe") == "" || h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || h.Get("List-Id") == "" {
			t.Errorf("%s's copy lacks the list headers: List-Id %q, List-Unsubscribe %q, -Post %q", who,
				h.Get("List-Id"), h.Get("List-Unsubscribe"), h.Get("List-Unsubscribe-Post"))
		}
	}

	// Nora's Sieve vacation sees a list message (Precedence: bulk,
	// List-Id, Auto-Submitted) and, as RFC 3834 and 5230 ask, sends no
	// out-of-office reply to it: no loop can start. (A vacation reply that
	// does reach the bot is ignored: TestVacationReplyNotAnswered.)
	line := s.WaitForLog(t, regexp.MustCompile(`lmtp\(`+regexp.QuoteMeta(nora)+`\).*msgid=<`+regexp.QuoteMeta(copyTo[nora].messageID())+`>: .*vacation.*`))
	if !strings.Contains(line, "discard") {
		t.Errorf("Sieve on the newsletter: %s\nwant the vacation response discarded", line)
	}

	// Mary books from the newsletter's numbered list.
	s.replyTo(t, mary, copyTo[mary], "3 please")
	s.waitForMail(t, mary, saying("You are booked on:"))
	if n := placesTaken(t, bot, "bd-2027-03"); n != 1 {
		t.Errorf("%d places taken on session 3 after Mary's reply, want 1", n)
	}

	// Mary leaves by the List-Unsubscribe mailto, as her mail program does.
	var mailto string
	for _, part := range strings.Split(copyTo[mary].Header.Get("List-Unsubscribe"), ",") {
		part = strings.Trim(strings.TrimSpace(part), "<>")
		if addr, ok := strings.CutPrefix(part, "mailto:"); ok {
			mailto, _, _ = strings.Cut(addr, "?")
		}
	}
	if mailto == "" {
		t.Fatalf("no mailto in List-Unsubscribe %q", copyTo[mary].Header.Get("List-Unsubscribe"))
	}
	s.sendRaw(t, mary, mailto, "From: "+mary+"\r\nTo: "+mailto+"\r\nSubject: unsubscribe\r\nMessage-ID: <unsub.1@example.test>\r\n\r\nunsubscribe\r\n")
	s.waitForMail(t, mary, saying("You are off our mailing list"))
	var sub store.Subscription
	err = bot.Store.Write(ctx, func(tx *store.Tx) error {
		p, err := tx.PersonByEmail(ctx, mary)
		if err == nil {
			sub, err = tx.Subscription(ctx, p.ID)
		}
		return err
	})
	if err != nil || sub.Status != store.Unsubscribed {
		t.Errorf("mary's subscription = %+v, %v; want unsubscribed", sub, err)
	}
	// Nothing was ever sent in answer to the vacation reply: Nora has her
	// confirmation request, her welcome and the newsletter, no more.
	if n := len(s.mailbox(t, nora)); n != 3 {
		t.Errorf("Nora has %d messages, want 3", n)
	}
}

func placesTaken(t *testing.T, bot *mailbot.Service, session string) int {
	t.Helper()
	n := 0
	err := bot.Store.ExportBookings(context.Background(), session, func(b store.Booking) error {
		if b.Status == store.Confirmed {
			n += b.Places
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// outcomeOf is the recorded outcome of a message, "" until it is handled.
func outcomeOf(bot *mailbot.Service, id string) string {
	o, _ := bot.Store.InboundOutcome(context.Background(), id)
	return o
}
