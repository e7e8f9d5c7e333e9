package desk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/address"
	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// MaxChoices bounds a numbered list: more than this is hard to read in an
// email, and the soonest are what people want.
const MaxChoices = 8

// openQuestionFor is how long a question we asked stays the one a reply
// without any reference answers: long enough for someone who reads their
// mail weekly, short enough that an old list is not taken up by mistake.
const openQuestionFor = 14 * 24 * time.Hour

// turn is one message being answered, inside the transaction that records
// it: what it refers to, what was done, and the mail that is owed.
type turn struct {
	d      *Desk
	ctx    context.Context
	tx     *store.Tx
	m      *understand.Message
	now    time.Time
	person int64
	offer  *store.Offer // the list or confirmation this replies to; nil when none
	staff  bool         // sent by a member of staff, proven (see isStaff)
	proof  Proof        // how far the message shows it is from its From
	by     *turn        // the member of staff's turn, when acting for someone on their word
	// given: offer is what the message answers, found already (a message
	// proven by the person's reply, done now; see replay).
	given bool
	raw   []byte             // the message as it came, to pass to staff
	req   understand.Request // what is done: the reading's request, or none where it may not be
	read  understand.Reading // the one reading of m's words, which every flow takes in
	ahead Reading            // m's words as read ahead of the transaction, if they were
	text  string             // m's words, as read

	ans     templates.Answer
	invites []Invite // attached to the answer
	about   []string // ids of the bookings the answer confirms, for a reply to it
	replies []Reply
	did     []string // for the record
	// risks are what this turn did that a stranger must not be able to
	// do in the person's name, in the words a question about it uses
	// (see needsProof).
	risks  []templates.Risk
	handed *understand.Handoff // the reason it went to staff, when it did
	// keptBack is what an urgent message asked to give up (a place, the
	// list), not done, for staff to talk through with them first.
	keptBack string
	src      string // the booking's source when no message says: "cli"
	// placesFact is the index in ans.Facts of the answer to "are there
	// places left?" about session placesOf ("" if none asked), counted
	// again once the message's own booking is made.
	placesFact int
	placesOf   string
	placesLeft int // as the answer first counted them
}

// run reads the message and acts on it.
func (t *turn) run() (Outcome, error) {
	if t.m.Calendar != nil {
		if outcome, done, err := t.calendarReply(); done || err != nil {
			return outcome, err
		}
	}
	if left, err := t.leaveByAddress(); left || err != nil {
		if err != nil {
			return Outcome{}, err
		}
		if t.m.Automatic != "" {
			return Left.Of("(List-Unsubscribe address); not answered: automatic"), nil
		}
		t.sendAnswer()
		return Replied.Of("left the list (List-Unsubscribe address)"), nil
	}
	if t.m.Automatic != "" {
		return Ignored.Of("automatic (%s)", t.m.Automatic), nil
	}
	if !t.given {
		o, err := t.tx.FindOffer(t.ctx, t.person, t.d.offerRef(t.m, t.now))
		switch {
		case err == nil:
			t.offer = &o
		case !errors.Is(err, store.ErrNotFound):
			return Outcome{}, err
		}
	}
	upcoming, err := t.tx.UpcomingSessions(t.ctx, t.now, "")
	if err != nil {
		return Outcome{}, err
	}
	c := t.d.readContext(t.m, t.now, TimetableOf(upcoming), t.offer)
	t.staff = c.IsStaff
	text := wordsOf(t.m)
	t.text = text
	// The one reading of the message, which every flow below takes in.
	r := t.ahead.again(text, c)
	t.read = r.read
	if !t.staff && t.d.staffAddress(t.m.From) && t.m.Forwarded != nil {
		// A staff From our servers do not prove, forwarding someone's
		// email, may be forged to act for them: nothing is done for
		// anyone, and staff see it. (Unproven, their own words are
		// read as anyone's, for themselves.)
		h := understand.Handoff{Why: understand.Unproven, Urgent: t.read.Handoff.Urgent}
		t.handed = &h
		t.replies = append(t.replies, t.d.handoffs(t.m, t.raw, templates.Handoff{Urgent: h.Urgent, Summary: handoffSummary(h)})...)
		return PassedOn.Of("(%s), not answered", h.String()), nil
	}
	if t.offer != nil && t.offer.Kind == store.OfferResume {
		if outcome, done, err := t.resume(text); done || err != nil {
			return outcome, err
		}
	}
	if t.offer != nil && t.offer.Kind == store.OfferViews {
		if outcome, done, err := t.consent(); done || err != nil {
			return outcome, err
		}
	}
	if t.offer != nil && t.offer.Kind == store.OfferProve {
		if outcome, done, err := t.proven(r.read.Action); done || err != nil {
			return outcome, err
		}
	}
	if outcome, done, err := t.forget(text, r); done || err != nil {
		return outcome, err
	}
	if outcome, done, err := t.access(r); done || err != nil {
		return outcome, err
	}
	if outcome, done, err := t.newsletter(text, c.IsStaff); done || err != nil {
		return outcome, err
	}
	if t.staff {
		if who, ok := t.m.OnBehalf(t.d.notActedFor(t.m.From)); ok && !who.ForAnother {
			return t.actFor(who, upcoming, c)
		} else if ok {
			// The email forwarded asks for yet another person, whose
			// address it does not give.
			t.answer("acted-for", templates.ActedFor{Name: t.ans.Name, NoOne: true})
			return Replied.Of("for someone the forwarded email names, but no address to act for"), nil
		}
		if who, ok := t.m.NamedByPhone(c.Titles); ok && t.m.Forwarded == nil {
			// Someone who rang, with no email address: they are booked,
			// and what they are owed comes back to this member of staff
			// to read to them.
			p, err := t.tx.NotePersonWithoutEmail(t.ctx, who.Name, who.Phone, t.m.From, t.now)
			if err != nil {
				return Outcome{}, err
			}
			who.Addr = p.Email
			return t.actFor(who, upcoming, c)
		}
		if t.m.Forwarded != nil || t.read.SomeoneElse {
			// A colleague's message, one whose sender can't be read, or
			// "book Mary on the 12th" without Mary's address: acting for
			// the member of staff instead would be wrong.
			t.answer("acted-for", templates.ActedFor{Name: t.ans.Name, NoOne: true})
			return Replied.Of("for someone, but no address to act for"), nil
		}
	}
	t.req = r.read.Request
	if t.req.OffOnly {
		waiting, err := t.answersWaiting()
		if err != nil {
			return Outcome{}, err
		}
		if waiting {
			// "Please take me off", to the email about their place on
			// the waiting list: off that place, not the mailing list.
			t.req.Unsubscribe, t.req.Action, t.req.Waiting = false, understand.Cancel, true
		}
	}
	if !t.staff && (t.forAnother() || t.m.Forwarded == nil && t.read.ForAnother) {
		// "Please book her on the 10th", above someone else's email, or
		// "my neighbour Betty would love to come": only staff may act
		// for another person, and acting for the writer instead would be
		// wrong. A person reads it.
		t.req = understand.Request{}
		r.read.Handoff.Why = understand.ForSomeoneElse
	}
	return t.act(upcoming, r.read.Handoff)
}

// answersWaiting reports whether the message answers our email about a
// place they wait for.
func (t *turn) answersWaiting() (bool, error) {
	if t.offer == nil || t.offer.Kind != store.OfferBooked || len(t.offer.Items) != 1 {
		return false, nil
	}
	live, err := t.tx.LiveBookings(t.ctx, t.person, t.now)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(live, func(b store.Booking) bool {
		return idString(b.ID) == t.offer.Items[0] && b.Status == store.Waitlisted
	}), nil
}

// forAnother reports whether a message that proves no member of staff
// asks for someone else: a forward of another person's email with a note
// that names them, not the writer.
func (t *turn) forAnother() bool {
	f := t.m.Forwarded
	return f != nil && f.From != "" && !address.Equal(f.From, t.m.From) && t.read.SomeoneElse
}

// act does what t.req asks, passes the message to staff when h says a
// person should see it, and answers.
func (t *turn) act(upcoming []store.SessionPlaces, h understand.Handoff) (Outcome, error) {
	t.ans.Asked = asked(t.req)
	// Help first, whoever else sees the message: with no staff to pass it
	// to, or from staff themselves, the numbers still come at the top.
	t.ans.Urgent = t.ans.Urgent || len(h.Urgent) > 0
	t.ans.Sorry = t.read.Bereaved
	// "You can take me off everything, the 15th and the list. I won't be
	// needing any of it after this week": from someone who may be at
	// risk, cutting every tie (the list, or all their bookings) is for a
	// person to talk through with them first, and their bookings and the
	// list keep them in touch meanwhile. A place they can't come to ("I
	// won't be able to come, he hit me again") is still given up.
	letGo := t.canHandOver(h) && len(h.Urgent) > 0 && (t.req.Unsubscribe || t.req.All)
	listed := false
	var err error
	if letGo {
		var kept []string
		switch {
		case t.req.All:
			kept = append(kept, "to cancel all their bookings")
		case t.req.Action == understand.Cancel:
			kept = append(kept, asked(t.req))
		}
		if t.req.Unsubscribe {
			kept = append(kept, "to leave the mailing list")
		}
		t.keptBack = joinAnd(kept)
	} else {
		if listed, err = t.listRequest(); err != nil {
			return Outcome{}, err
		}
	}
	// A complaint, or a question about a session, is for a person to
	// answer: booking the complainant onto what they complain of, or the
	// asker onto what they ask about, would be no answer.
	// A question the timetable answers is answered, and is no longer
	// staff's; asked of a session alone, it books nothing.
	// What the timetable can't answer (it names no session, or
	// several) is staff's.
	factsOnly := false
	if len(t.req.Asks) > 0 {
		answered, err := t.answerAsks(upcoming)
		if err != nil {
			return Outcome{}, err
		}
		switch {
		case answered && t.req.Action == understand.Unknown:
			// "Can you send me the Teams link again?" asks nothing more
			// than the answer: it was understood after all.
			factsOnly = true
			if h.Why == understand.NotUnderstood {
				h.Why = understand.NoReason
			}
		case answered:
			factsOnly = t.req.Action == understand.Choose && t.offer == nil
		case h.Why == understand.NoReason:
			h.Why = understand.AQuestion
		}
	}
	if t.offersViews(h, listed, upcoming) {
		outcome, err := t.views()
		if err != nil || !t.req.AlsoList {
			return outcome, err
		}
		// "What's on? And for your question about a good day - mine
		// is a walk along the front": the list, beside the thanks.
		t.ans.Asked = "which sessions are coming up"
		if err := t.list(upcoming); err != nil {
			return Outcome{}, err
		}
		t.sendAnswer()
		return outcome.With(", and the list"), nil
	}
	// "Speak to someone", "can someone ring me" (understand.APerson): the
	// help text promises a person, so a person it is. Said alone, it asks
	// for nothing else, whatever "a one-to-one" its words look like.
	holdOnly := letGo || !factsOnly && t.canHandOver(h) && (h.Why == understand.AComplaint || h.Why == understand.ForSomeoneElse ||
		h.Why == understand.AQuestion && t.req.Action == understand.Choose && t.offer == nil ||
		h.Why == understand.APerson && len(t.req.Targets) == 0 && vague(t.req.Action))
	if !factsOnly && h.Why == understand.AQuestion && t.req.Action == understand.Choose && t.offer == nil && !t.canHandOver(h) {
		// A question that names sessions, and nobody to pass it to
		// (no staff, or from staff): booking what it asks about would
		// be a guess.
		return t.help(false, t.ans.Urgent)
	}
	resized := false
	if t.placesOnly() && t.req.Action != understand.No && t.req.Action != understand.DropIn {
		if resized, err = t.resizeBooked(); err != nil {
			return Outcome{}, err
		}
	}
	if final, err := t.respond(upcoming, h, listed, resized, holdOnly || factsOnly); final.Did != 0 || err != nil {
		return final, err
	}
	if err := t.recountPlaces(); err != nil {
		return Outcome{}, err
	}
	if err := t.offerList(); err != nil {
		return Outcome{}, err
	}
	outcome := Replied.Of("%s", t.req.Action)
	switch {
	case holdOnly:
		outcome = Replied.Of("holding")
		t.ans.Asked = ""
	case factsOnly:
		outcome = Replied.Of("answered from the timetable")
		t.ans.Asked = ""
	case listed && (t.req.Action == understand.Help || t.req.Action == understand.Unknown):
		outcome = Replied.Of("list")
	}
	// "A member of the team will be in touch" is only said when one will.
	if t.ans.NoSlots && h.Why == understand.NoReason {
		h.Why = understand.NoSlotSuits
	}
	if t.ans.TooManyPlaces > 0 && h.Why == understand.NoReason {
		// "6 places please, 4 of our members and 2 staff": a day centre's
		// group, which a person can arrange with them.
		h.Why = understand.GroupBooking
	}
	if t.canHandOver(h) {
		if len(h.Urgent) > 0 && t.holdQuestions() {
			outcome = Replied.Of("holding")
		}
		t.handed = &h
		t.handOver(h)
		outcome = outcome.passedOn(h)
	}
	t.sendAnswer()
	return outcome.doing(t.did), nil
}

// holdQuestions takes out of the answer what would only question the
// writer's words: which of several sessions they meant, or a name that
// matched none. A person who may be at risk is a person's to answer, and
// such questions under the help numbers read as a form to fill in, about
// words they may not have meant as a request ("the groups I went to when
// he was alive"). What they asked for (the free drop-in times, what is
// on) and what was done stay. It reports whether nothing was done or
// offered, so that the reply only holds the message for staff.
func (t *turn) holdQuestions() bool {
	if t.ans.ChooseFor == templates.ChooseWhich {
		t.ans.Choices, t.ans.ChooseFor, t.ans.Which = nil, "", ""
	}
	t.ans.NotFound = nil
	if len(t.did) > 0 || len(t.ans.Choices) > 0 {
		return false
	}
	t.ans.Asked = ""
	return true
}

// respond does what the request asks, into the answer. It returns the
// outcome when that is the whole of it (nothing to add, send or pass on),
// else none. answered: a hold or the timetable's answer is all the reply.
func (t *turn) respond(upcoming []store.SessionPlaces, h understand.Handoff, listed, resized, answered bool) (Outcome, error) {
	var err error
	switch {
	case answered:
	case resized && (t.req.Action == understand.Yes || t.req.Explicit) && t.listAnswer() && (t.offer.Kind == store.OfferJoin || t.req.Explicit):
		err = t.joinByReply()
	case resized:
	case t.req.Action == understand.Unknown && t.read.Courtesy && len(h.Urgent) == 0:
		return NotAnswered.Of("thanks or an acknowledgement"), nil
	case listed && (t.req.Action == understand.Help || t.req.Action == understand.Unknown):
		if t.ans.List == "" && len(h.Urgent) == 0 {
			return NotAnswered.Of("asked to join, and a request to confirm went today"), nil
		}
	case t.req.Action == understand.List:
		err = t.list(upcoming)
	case t.req.Action == understand.Book, t.req.Action == understand.Choose:
		if t.offer != nil && t.offer.Kind == store.OfferCancel && t.req.Action == understand.Choose {
			err = t.cancel()
		} else {
			err = t.book(upcoming)
		}
	case t.req.Action == understand.DropIn:
		err = t.dropin(upcoming)
	case t.req.Action == understand.Cancel:
		err = t.cancel()
	case t.req.Action == understand.No:
		switch {
		case t.listAnswer():
			// "No" to a confirmation that offered the list may instead
			// mean they can't come: say how to cancel, cancel nothing.
			t.ans.List = templates.ListDeclined
			t.note("declined the list")
			err = t.keptIfNo()
		case t.offer == nil || t.offer.Kind != store.OfferBooked:
			return t.help(true, t.ans.Urgent)
		default:
			err = t.cancel()
		}
	case t.req.Action == understand.Yes:
		switch {
		case t.listAnswer() && (t.offer.Kind == store.OfferJoin || t.req.Explicit):
			err = t.joinByReply()
		case t.listAnswer() && len(t.req.Needs) == 0 && t.req.Phone == "" && len(h.Urgent) == 0:
			// "ok" to a confirmation acknowledges it: it is no consent
			// to the list, and the confirmation asked nothing else.
			return NotAnswered.Of("thanks or an acknowledgement"), nil
		case t.offer == nil || t.offer.Kind != store.OfferBooked:
			return t.help(true, t.ans.Urgent)
		default:
			err = t.stillComing()
		}
	case t.req.Action == understand.Move:
		err = t.move(upcoming)
	case t.req.Action == understand.Attendees:
		return t.attendees()
	case !t.canHandOver(h):
		return t.help(t.req.Action == understand.Unknown, t.ans.Urgent)
	}
	return Outcome{}, err
}

// listRequest does what the message asks of the mailing list, beside
// whatever else it asks, and says whether it asked anything of it.
func (t *turn) listRequest() (bool, error) {
	switch {
	case t.req.Unsubscribe:
		if t.ans.Asked == "" {
			t.ans.Asked = "to leave our mailing list"
		}
		return true, t.leave(LeftByEmail)
	case t.req.Subscribe:
		if t.ans.Asked == "" && t.by == nil {
			t.ans.Asked = "to join our mailing list"
		}
		_, err := t.askToJoin()
		return true, err
	}
	return false, nil
}

// offerRef is what m carries that may name an offer of ours.
func (d *Desk) offerRef(m *understand.Message, now time.Time) store.OfferRef {
	return store.OfferRef{
		MessageIDs: append(append([]string(nil), m.InReplyTo...), m.References...),
		Subject:    understand.SubjectRef(m.Subject),
		Token:      PlusTag(m, d.env.Address),
		Since:      now.Add(-openQuestionFor),
	}
}

func (t *turn) help(notUnderstood, urgent bool) (Outcome, error) {
	t.answer("help", templates.Help{Name: t.ans.Name, NotUnderstood: notUnderstood, Urgent: urgent})
	if notUnderstood {
		return Replied.Of("help (not understood)"), nil
	}
	return Replied.Of("help"), nil
}

// answer queues a reply to the message being handled; acting for someone,
// a new message to them.
func (t *turn) answer(kind string, data any) *Reply {
	r := Reply{Kind: kind, To: t.m.From, ToName: t.m.FromName, Data: data,
		Subject: ReplySubject(t.m.Subject, "Better Days: your booking")}
	if t.by == nil {
		r.InReplyTo = t.m
	}
	t.replies = append(t.replies, r)
	return &t.replies[len(t.replies)-1]
}

// source is how a booking or list request came, for the record.
func (t *turn) source() string {
	if t.src != "" {
		return t.src
	}
	if t.by != nil {
		return "staff"
	}
	return "email"
}

// sendAnswer queues the one answer to a booking message, with its
// invitations and what a reply to it will refer to.
func (t *turn) sendAnswer() {
	r := t.answer("answer", t.ans)
	r.Invites = t.invites
	switch {
	case len(t.ans.Choices) > 0:
		kind := store.OfferBook
		if t.ans.ChooseFor == templates.ChooseCancel {
			kind = store.OfferCancel
		}
		r.Offer = &store.Offer{PersonID: t.person, Kind: kind, Places: t.ans.Places,
			Phone: t.phone(), Needs: t.needs()}
		for _, c := range t.ans.Choices {
			r.Offer.Items = append(r.Offer.Items, c.ID)
		}
	case len(t.about) > 0:
		r.Offer = &store.Offer{PersonID: t.person, Kind: store.OfferBooked, Items: t.about}
	case t.ans.List == templates.ListConfirm:
		r.Offer = &store.Offer{PersonID: t.person, Kind: store.OfferJoin, Items: []string{}}
	}
	if r.Offer != nil {
		r.Offer.JoinList = t.ans.List == templates.ListOffer || t.ans.List == templates.ListConfirm
	}
}

// phone is the phone number given now, or with the request a list answered.
func (t *turn) phone() string {
	switch {
	case t.req.Phone != "":
		return t.req.Phone
	case t.offer != nil && t.offer.Phone != "":
		return t.offer.Phone
	case t.by == nil:
		return understand.Phone(t.m.Signature)
	}
	return ""
}

// needs is the access needs given now, or with the request a list answered.
func (t *turn) needs() string {
	if len(t.req.Needs) == 0 && t.offer != nil {
		return t.offer.Needs
	}
	return strings.Join(t.req.Needs, "; ")
}

// places is how many places are asked for: said now, or when the list was
// asked for, else one.
func (t *turn) places() int {
	switch {
	case t.req.Places > 0:
		return t.req.Places
	case t.offer != nil && t.offer.Places > 0:
		return t.offer.Places
	}
	return 1
}

// asked says back what was understood, so a misreading shows at once.
func asked(r understand.Request) string {
	var what string
	switch r.Action {
	case understand.Book, understand.Choose:
		what = "to book"
	case understand.Cancel:
		what = "to cancel"
	case understand.Move:
		what = "to move your booking"
	case understand.DropIn:
		what = "for a one-to-one conversation"
	case understand.List:
		return "which sessions are coming up"
	default:
		return ""
	}
	quoted := func(ps []understand.Pattern) string {
		var said []string
		for _, p := range ps {
			said = append(said, quote(p))
		}
		return joinAnd(said)
	}
	switch {
	case r.All:
		if r.Action == understand.Cancel {
			what += " all your bookings"
		} else if r.First > 0 {
			what += fmt.Sprintf(" the first %d sessions coming up", r.First)
		} else {
			what += " every session coming up"
		}
		if len(r.Except) > 0 {
			what += " except " + quoted(r.Except)
		}
	case r.Action == understand.Move && len(r.From) > 0:
		what += " from " + quoted(r.From)
		if len(r.Targets) > 0 {
			what += " to " + quoted(r.Targets)
		}
	case len(r.Targets) > 0:
		if r.Action == understand.DropIn {
			what += ":"
		}
		what += " " + quoted(r.Targets)
	case r.Action != understand.DropIn:
		what += " a place"
	}
	if r.Places > 1 {
		what += fmt.Sprintf(", for %d people", r.Places)
	}
	return what
}

// quote repeats what someone pointed at: their words, or the number they
// picked from a list.
func quote(p understand.Pattern) string {
	if p.Number > 0 {
		return fmt.Sprintf("number %d", p.Number)
	}
	return `"` + p.String() + `"`
}

// joinAnd is "a", "a and b", "a, b and c".
func joinAnd(list []string) string {
	if len(list) < 2 {
		return strings.Join(list, "")
	}
	return strings.Join(list[:len(list)-1], ", ") + " and " + list[len(list)-1]
}

// event is how a message describes a booking.
func (t *turn) event(b store.Booking) templates.Event {
	return EventOf(b, t.d.env.TZ)
}

func EventOf(b store.Booking, tz *time.Location) templates.Event {
	e := templates.Event{
		Title: b.Session.Title, When: When(b.Session.Starts, b.Session.Ends, tz), Where: b.Session.Location,
		Places: b.Places, Phone: b.Phone, Dropin: b.Session.Kind == store.Dropin,
	}
	if b.Needs != "" {
		e.Needs = strings.Split(b.Needs, "; ")
	}
	return e
}

// choice is one numbered line, remembering what it stands for.
func (t *turn) choice(id, title string, starts, ends time.Time, where string, left int) templates.Choice {
	return templates.Choice{
		Number: len(t.ans.Choices) + 1, Title: title, When: When(starts, ends, t.d.env.TZ), Where: where,
		Left: left, Full: left <= 0, ID: id,
	}
}

func (t *turn) note(format string, args ...any) {
	t.did = append(t.did, fmt.Sprintf(format, args...))
}
