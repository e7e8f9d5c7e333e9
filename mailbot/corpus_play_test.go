package mailbot

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
)

// The corpus's world: its bot, its staff and its receiving server's name.
// The desk is configured to be that world, so the messages are delivered
// as written and only their citations change.
const (
	corpusBot      = "betterdays@council.gov.uk"
	corpusAuthserv = "mx.council.gov.uk"
)

var corpusStaff = []string{"officer@council.gov.uk", "sam.patel@council.gov.uk"}

// corpusRun is one corpus message played through a desk.
type corpusRun struct {
	t      *testing.T
	d      *rig
	w      corpusWant
	writer string // the From of the message
	who    string // whom the bot should act for: for:, or the writer
	cited  *sent  // the bot's message the corpus message replies to

	before, after corpusState
	outcome       string
	replies       []*sent // to the writer, after the message
	forWho        []*sent // to who, when that is not the writer
	handoffs      []*sent // to staff, passing the message on
	staffReplies  []*sent // to staff, not hand-offs (to a staff writer, say)
	offers        []store.Offer
}

// corpusState is what the bot holds about who.
type corpusState struct {
	known    bool                     // who is in the database (not erased)
	live     map[string]store.Booking // by session id
	sub      store.Subscription
	hasSub   bool
	outcome  string
	personID int64
}

// playCorpus plays one message: the problems found (none when the bot
// did as the .want says), what the bot did, in a line, and the text of
// what it sent.
func playCorpus(t *testing.T, w corpusWant, raw []byte) ([]string, string, string) {
	t.Helper()
	d := newDesk(t, map[string]string{
		"MAILBOT_ADDRESS":     corpusBot,
		"MAILBOT_STAFF":       strings.Join(corpusStaff, ","),
		"MAILBOT_AUTHSERV_ID": corpusAuthserv,
	})
	m, err := understand.Parse(raw)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	r := &corpusRun{t: t, d: d, w: w, writer: strings.ToLower(m.From)}
	r.who = r.writer
	switch {
	case w.forAddr != "":
		r.who = w.forAddr
	case w.staff && w.phone != "":
		// Staff writing for someone with no address, who phoned: the
		// number is what finds them again (see the corpus README).
		r.who = store.NoEmailAddress("", w.phone)
	}
	if err := r.setup(); err != nil {
		return []string{"setup: " + err.Error()}, "(not delivered)", ""
	}
	raw = r.rewrite(raw)
	r.before = r.state()
	if err := d.bot.Handle(ctxBg, Delivery{Mailbox: "INBOX", UIDValidity: 1, UID: d.uid.Add(1), Received: d.clock.Now(), Size: int64(len(raw)), Raw: raw}); err != nil {
		t.Fatalf("handle: %v", err)
	}
	r.outcome, _ = d.st.InboundOutcome(ctxBg, m.Key)
	r.collect()
	r.after = r.state()

	var problems []string
	for _, e := range w.expect {
		if !corpusVerbs[e[0]].check(r, e[1:]) {
			problems = append(problems, "want "+strings.Join(e, " "))
		}
	}
	for _, e := range w.not {
		v := corpusVerbs[e[0]]
		ok := v.not != nil && v.not(r, e[1:]) || v.not == nil && !v.check(r, e[1:])
		if !ok {
			problems = append(problems, "want not "+strings.Join(e, " "))
		}
	}
	if w.places > 1 && !r.placesKept(w.places) {
		problems = append(problems, fmt.Sprintf("want places %d", w.places))
	}
	if w.phone != "" && !r.phoneKept(w.phone) {
		problems = append(problems, "want phone "+w.phone)
	}
	for _, n := range w.needs {
		if !r.needKept(n) {
			problems = append(problems, "want needs "+n)
		}
	}
	return problems, r.did(), r.sentText()
}

// sentText is every message the bot sent after the corpus message, as its
// reader sees it.
func (r *corpusRun) sentText() string {
	var b strings.Builder
	for _, m := range slices.Concat(r.replies, r.forWho, r.handoffs, r.staffReplies) {
		fmt.Fprintf(&b, "--- to %s: %s\n%s\n", m.To, m.Subject, m.Text)
	}
	return b.String()
}

// setup builds the state the .want describes, the way a person would.
func (r *corpusRun) setup() error {
	w := r.w
	if slices.ContainsFunc(slices.Concat(w.expect, w.not), func(e []string) bool { return e[0] == "leave" }) ||
		w.context == "newsletter" {
		// Someone asking to leave is on the list, or the check means nothing.
		if err := r.subscribe(r.who); err != nil {
			return err
		}
	}
	cite := ""
	if w.context == "confirmation" || w.context == "reminder" {
		cite = w.contextArgs[0]
	}
	for _, id := range w.waiting {
		if err := r.fill(id); err != nil {
			return err
		}
	}
	// The cited booking last, so its confirmation is the newest.
	order := slices.Concat(w.waiting, w.booked)
	if i := slices.Index(order, cite); i >= 0 {
		order = append(slices.Delete(order, i, i+1), cite)
	} else if cite != "" {
		order = append(order, cite)
	}
	for _, id := range order {
		if err := r.book(id); err != nil {
			return err
		}
	}
	switch w.context {
	case "new", "forward":
	case "confirmation":
		// r.book left the cited one's confirmation (or waiting-list email).
	case "reminder":
		s, err := r.d.st.SessionByID(ctxBg, cite)
		if err != nil {
			return err
		}
		r.d.clock.Set(s.Starts.Add(-47 * time.Hour))
		if _, err := r.d.bot.SendReminders(ctxBg); err != nil {
			return err
		}
		if err := r.citeNewest("a reminder"); err != nil {
			return err
		}
	case "list":
		if err := r.list(w.contextArgs); err != nil {
			return err
		}
	case "join-request":
		r.say("Mailing list", "Please add me to your mailing list.")
		if err := r.citeNewest("a request to confirm joining"); err != nil {
			return err
		}
	case "erasure-question":
		r.say("My data", "Please delete all my details.")
		if err := r.citeNewest("the erasure question"); err != nil {
			return err
		}
	case "newsletter":
		var n store.Newsletter
		err := r.d.st.Write(ctxBg, func(tx *store.Tx) error {
			var err error
			if n, err = r.d.bot.DraftNewsletter(ctxBg, tx, "Better Days news", "Hello from Better Days.\n\n{{sessions}}", "cli"); err != nil {
				return err
			}
			_, err = r.d.bot.QueueNewsletter(ctxBg, tx, n)
			return err
		})
		if err != nil {
			return err
		}
		if err := r.citeNewest("a newsletter"); err != nil {
			return err
		}
	default:
		return fmt.Errorf("context %q unknown", w.context)
	}
	return nil
}

// say delivers a message from who, proven by DMARC as most people's mail is.
func (r *corpusRun) say(subject, text string) {
	_, domain, _ := strings.Cut(r.who, "@")
	id := fmt.Sprintf("setup%d@example.org", r.d.uid.Add(1))
	raw := fmt.Sprintf("Authentication-Results: %s; dmarc=pass header.from=%s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: Mon, 14 Jun 2027 09:00:00 +0100\r\n\r\n%s\r\n",
		corpusAuthserv, domain, r.who, corpusBot, subject, id, text)
	if err := r.d.bot.Handle(ctxBg, Delivery{Mailbox: "INBOX", UIDValidity: 1, UID: r.d.uid.Add(1), Received: r.d.clock.Now(), Size: int64(len(raw)), Raw: []byte(raw)}); err != nil {
		r.t.Fatalf("setup message: %v", err)
	}
}

// citeNewest makes the newest message to who the one cited.
func (r *corpusRun) citeNewest(what string) error {
	got := r.d.mail(r.who)
	if len(got) == 0 {
		return fmt.Errorf("the bot sent %s no %s", r.who, what)
	}
	r.cited = got[len(got)-1]
	return nil
}

// book has who book session id by email, as they would: its
// confirmation (or waiting-list email) is then the newest to them.
func (r *corpusRun) book(id string) error {
	s, err := r.d.st.SessionByID(ctxBg, id)
	if err != nil {
		return fmt.Errorf("session %s: %w", id, err)
	}
	r.say("Booking", fmt.Sprintf("Please book me on %s on %s.", s.Title, s.Starts.In(r.d.bot.cfg.TZ).Format("2 January")))
	if _, ok := r.state().live[id]; !ok {
		return fmt.Errorf("booking %s by %q booked nothing", id, s.Title)
	}
	return r.citeNewest("confirmation of " + id)
}

// fill books every place of session id for someone else, so who waits.
func (r *corpusRun) fill(id string) error {
	return r.d.st.Write(ctxBg, func(tx *store.Tx) error {
		s, err := tx.Session(ctxBg, id)
		if err != nil {
			return err
		}
		p, err := tx.NotePerson(ctxBg, "full.house@example.org", "Full House", r.d.clock.Now())
		if err != nil {
			return err
		}
		_, _, err = tx.Book(ctxBg, store.NewBooking{SessionID: id, PersonID: p, Places: s.Left, Source: "cli"}, r.d.clock.Now())
		return err
	})
}

// subscribe puts addr on the mailing list, confirmed.
func (r *corpusRun) subscribe(addr string) error {
	return r.d.st.Write(ctxBg, func(tx *store.Tx) error {
		now := r.d.clock.Now()
		p, err := tx.NotePerson(ctxBg, addr, "", now)
		if err != nil {
			return err
		}
		if err := tx.AskToJoin(ctxBg, p, "email", now); err != nil {
			return err
		}
		return tx.Confirm(ctxBg, p, "email", desk.ConsentReply, "<corpus-setup@example.org>", now)
	})
}

// list has the bot send who a numbered list of ids, in that order: its
// own what's-on list when that is the list, or else an offer made in the
// store as the bot would make it (drop-in offers, "which one did you
// mean?" and shorter lists depend on what was asked).
func (r *corpusRun) list(ids []string) error {
	up, err := r.d.st.UpcomingSessions(ctxBg, r.d.clock.Now(), "session")
	if err != nil {
		return err
	}
	var all []string
	for _, s := range up {
		all = append(all, s.ID)
	}
	if slices.Equal(all, ids) {
		r.say("Sessions", "What sessions are there?")
		return r.citeNewest("the what's-on list")
	}
	o := store.Offer{Token: randomToken(10), MessageID: r.d.bot.newMessageID(), Kind: store.OfferBook, Items: ids}
	err = r.d.st.Write(ctxBg, func(tx *store.Tx) error {
		if o.PersonID, err = tx.NotePerson(ctxBg, r.who, "", r.d.clock.Now()); err != nil {
			return err
		}
		return tx.SaveOffer(ctxBg, o, r.d.clock.Now())
	})
	r.cited = &sent{To: r.who, Subject: "Which one? [BD-" + o.SubjectRef() + "]", MessageID: o.MessageID,
		ReplyTo: plusAddress(corpusBot, o.Token)}
	return err
}

var (
	corpusMsgID     = regexp.MustCompile(`<bd-[^>]*@council\.gov\.uk>`)
	corpusSubjRef   = regexp.MustCompile(`\[BD-[A-Za-z0-9]+\]`)
	corpusToLine    = regexp.MustCompile(`(?im)^To:[^\n]*(\n[ \t][^\n]*)*`)
	corpusBotInLine = regexp.MustCompile(`(?i)betterdays@council\.gov\.uk`)
)

// rewrite makes raw cite the message the bot really sent, as a reply to
// it would: its In-Reply-To and References, the reference in its
// subject, and the Reply-To it went to. What a message has lost stays
// lost. A staff member's message gets the proof our own server adds to an
// authenticated submission.
func (r *corpusRun) rewrite(raw []byte) []byte {
	s := string(raw)
	end := strings.Index(s, "\r\n\r\n")
	if i := strings.Index(s, "\n\n"); end < 0 || i >= 0 && i < end {
		end = i
	}
	if end < 0 {
		end = len(s)
	}
	header, body := s[:end], s[end:]
	if r.cited != nil {
		cites := corpusMsgID.MatchString(header)
		header = corpusMsgID.ReplaceAllLiteralString(header, "<"+r.cited.MessageID+">")
		if ref := corpusSubjRef.FindString(r.cited.Subject); ref != "" {
			cites = cites || corpusSubjRef.MatchString(header)
			header = corpusSubjRef.ReplaceAllLiteralString(header, ref)
		}
		if cites && r.cited.ReplyTo != "" {
			header = corpusToLine.ReplaceAllStringFunc(header, func(to string) string {
				return corpusBotInLine.ReplaceAllLiteralString(to, r.cited.ReplyTo)
			})
		}
	}
	if r.w.staff {
		nl := "\n"
		if strings.Contains(header, "\r\n") {
			nl = "\r\n"
		}
		header = "Authentication-Results: " + corpusAuthserv + "; auth=pass smtp.auth=" + r.writer + nl + header
	}
	return []byte(header + body)
}

// collect reads the mail the message made.
func (r *corpusRun) collect() {
	r.replies = r.d.mail(r.writer)
	if r.who != r.writer {
		r.forWho = r.d.mail(r.who)
	}
	for _, s := range corpusStaff {
		if s == r.writer {
			continue
		}
		for _, m := range r.d.mail(s) {
			if strings.HasPrefix(m.Subject, "URGENT") || strings.HasPrefix(m.Subject, "Please reply") {
				r.handoffs = append(r.handoffs, m)
			} else {
				r.staffReplies = append(r.staffReplies, m)
			}
		}
	}
	for _, m := range slices.Concat(r.replies, r.forWho) {
		if m.ReplyTo == "" {
			continue
		}
		var o store.Offer
		err := r.d.st.Write(ctxBg, func(tx *store.Tx) error {
			p, err := tx.PersonByEmail(ctxBg, m.To)
			if err != nil {
				return err
			}
			o, err = tx.FindOffer(ctxBg, p.ID, store.OfferRef{MessageIDs: []string{m.MessageID}})
			return err
		})
		if err == nil {
			r.offers = append(r.offers, o)
		}
	}
}

// state reads what the bot holds about who.
func (r *corpusRun) state() corpusState {
	st := corpusState{live: map[string]store.Booking{}}
	err := r.d.st.Write(ctxBg, func(tx *store.Tx) error {
		p, err := tx.PersonByEmail(ctxBg, r.who)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		st.known, st.personID = true, p.ID
		bs, err := tx.LiveBookings(ctxBg, p.ID, time.Time{})
		if err != nil {
			return err
		}
		for _, b := range bs {
			st.live[b.Session.ID] = b
		}
		st.sub, err = tx.Subscription(ctxBg, p.ID)
		st.hasSub = err == nil
		if errors.Is(err, store.ErrNotFound) {
			err = nil
		}
		return err
	})
	if err != nil {
		r.t.Fatalf("state of %s: %v", r.who, err)
	}
	return st
}

// did says in a line what the bot did: its outcome, the changes, and the
// mail it sent.
func (r *corpusRun) did() string {
	var parts []string
	if r.outcome != "" {
		parts = append(parts, fmt.Sprintf("outcome %q", r.outcome))
	}
	for id, b := range r.after.live {
		was, ok := r.before.live[id]
		switch {
		case !ok:
			parts = append(parts, fmt.Sprintf("booked %s (%s, %d places, phone %q, needs %q)", id, b.Status, b.Places, b.Phone, b.Needs))
		case was.Places != b.Places || was.Status != b.Status:
			parts = append(parts, fmt.Sprintf("changed %s to %s, %d places", id, b.Status, b.Places))
		}
	}
	for id := range r.before.live {
		if _, ok := r.after.live[id]; !ok {
			parts = append(parts, "cancelled "+id)
		}
	}
	if r.before.known && !r.after.known {
		parts = append(parts, "erased "+r.who)
	}
	if r.after.sub.Status != r.before.sub.Status {
		parts = append(parts, fmt.Sprintf("list %q→%q", r.before.sub.Status, r.after.sub.Status))
	}
	for _, o := range r.offers {
		parts = append(parts, fmt.Sprintf("offer %s %v", o.Kind, o.Items))
	}
	mailed := func(label string, ms []*sent) {
		for _, m := range ms {
			parts = append(parts, fmt.Sprintf("%s %q: %q", label, m.Subject, corpusGist(m.Text)))
		}
	}
	mailed("replied", r.replies)
	mailed("wrote "+r.who, r.forWho)
	for _, m := range r.handoffs {
		parts = append(parts, fmt.Sprintf("to staff %q", m.Subject))
	}
	mailed("to staff", r.staffReplies)
	if len(parts) == 0 {
		return "nothing"
	}
	slices.Sort(parts[1:])
	return strings.Join(parts, "; ")
}

// corpusGist is the start of a reply's text, on one line.
func corpusGist(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if len(text) > 160 {
		text = text[:160] + "…"
	}
	return text
}
