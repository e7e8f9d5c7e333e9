package templates

import "html/template"

// The data each message kind is rendered with. Fields are plain strings and
// flags: formatting (dates, sizes) is done by the caller, so the words here
// stay readable.

// Help is the data for "help": what one can do by email.
type Help struct {
	Name          string // the person's name, if they gave one
	NotUnderstood bool   // true when the bot could not read a request
	Urgent        bool   // words suggest someone may be at risk: the help comes first
}

// TooLarge is the data for "too-large": a message over the size limit.
type TooLarge struct {
	Name  string
	Size  string // e.g. "12 MB"
	Limit string
}

// Event is one booking as a message describes it.
type Event struct {
	Title    string
	When     string // "Thursday 15 July 2027, 1pm to 2pm"
	Where    string
	Places   int
	Needs    []string // access needs, in the person's words
	Phone    string
	Dropin   bool // a one-to-one conversation
	Position int  // place on the waiting list, from 1
	// For a message someone will use to get there (a confirmation, a
	// reminder, a promotion, a change); empty in the others.
	About     string   // the session's description
	Joining   []string // how to join it online, line by line: a link, an ID, a passcode
	JoinLater bool     // online, and the joining details are not out yet
}

// Choice is one numbered line of a list to reply to.
type Choice struct {
	Number int
	Title  string
	When   string
	Where  string
	Left   int    // places left
	Full   bool   // only the waiting list is open
	ID     string // what the number stands for: a session or booking id; not shown
}

// Answer is the one reply to a message about sessions: everything it asked
// for, done or asked about, in one email.
type Answer struct {
	Name      string
	Asked     string  // what we understood, in their words
	Booked    []Event // confirmed now
	Waiting   []Event // put on the waiting list
	Already   []Event // they were already booked or waiting
	Cancelled []Event // cancelled now
	// LeftWaiting are the waiting lists they are taken off now.
	LeftWaiting []Event
	Resized     []Event  // bookings now holding the places asked for
	NoRoom      []Event  // bookings asked to grow where no places are free: unchanged
	NotFound    []string // things named that match no session, in their words
	Started     []Event  // too late to book or cancel
	Withdrawn   []Event  // cancelled by the organisers: not booked
	// A numbered list to reply to, and why it is offered.
	Choices    []Choice
	ChooseFor  Choose
	Which      string  // with ChooseWhich: the words that matched several
	NoBookings bool    // asked to cancel, but has nothing booked
	NoSlots    bool    // asked for a drop-in, none free (that suit)
	NoneSuit   bool    // with NoSlots: times are free, but none of them suit
	NoSessions bool    // asked what is on, and nothing is
	LeftOut    bool    // with ChooseBook: sessions their words ruled out are not listed
	Taken      []Event // drop-in times taken by someone else meanwhile
	StillOn    []Event // kept: a reminder answered yes, or a move that could not be made yet
	Places     int     // places the list was offered for, when more than one
	// Facts answer questions about a session from the timetable.
	Facts []Fact
	// TooManyPlaces, when set, is the most places one email may book:
	// they asked for more, and nothing was booked.
	TooManyPlaces int

	// List is what happened about the mailing list, if anything.
	List       ListNews
	ConfirmURL string // with ListConfirm: the link that confirms instead of a reply
	// KeptIfNo, with ListDeclined in answer to a confirmation: the
	// booking a "no" could also have meant to give up, which it keeps.
	KeptIfNo []Event
	// HasBookings, with ListLeft: leaving the list cancels no booking.
	HasBookings bool
	// ByStaff: a member of staff asked for this on their behalf.
	ByStaff bool

	// PassedOn: the message went to a member of staff too, who will
	// answer it themselves.
	PassedOn bool
	// Urgent: the message suggests someone may be at risk; the answer
	// says where to get help now.
	Urgent bool
	// Sorry: their words tell of a death; the answer says sorry first.
	Sorry bool
}

// ActedFor is the data for "acted-for": what the bot tells a member of
// staff who asked it to act for someone.
type ActedFor struct {
	Name string // the member of staff's
	For  string // the person acted for, as "Name <address>"
	// Sent is the text of the email the person was sent; "" when none
	// was, and Why says why not.
	Sent string
	Why  string
	// NotUnderstood: nothing was done, as the request could not be read.
	NotUnderstood bool
	// PassedOn, with NotUnderstood: the person's own words ask something
	// only a person can answer, and went to the rest of the team.
	PassedOn bool
	// NoOne: nothing was done, as there is no address to act for: the
	// message forwarded is a colleague's or ours, its sender could not be
	// read, or the note names someone without their address.
	NoOne bool
	// Urgent: words in the person's message that suggest risk.
	Urgent []string
}

// Handoff is the data for "handoff": a person's message passed to staff,
// with the original attached.
type Handoff struct {
	From    string // "Name <address>"
	Subject string
	Summary string   // one line: what the bot could and couldn't read
	Urgent  []string // the words that suggest risk, as written
	Did     string   // what the bot did about it, in plain words
	Phone   string   // the number they gave, in their words or signature, if any
	Text    string   // what they wrote, without quoted history
}

// Newsletter is the data for "newsletter": one person's copy.
type Newsletter struct {
	Name     string
	Text     string        // the Markdown, which reads as plain text
	HTML     template.HTML // the Markdown rendered: safe, raw HTML dropped
	LeaveURL string        // their one-click unsubscribe page
}

// NewsletterStaff is the data for "newsletter-staff": what the bot tells a
// member of staff who sent it a newsletter: StagePreview (reply SEND to
// send), StageSending (queued) or StageCancelled.
type NewsletterStaff struct {
	Name       string
	Stage      Stage
	Subject    string
	Recipients int
	Finish     string // with StageSending: when it should be done, e.g. "within the hour"
	Preview    Newsletter
}

// Promoted is the data for "promoted": a place came free for someone on the
// waiting list.
type Promoted struct {
	Name  string
	Event Event
}

// Changed is the data for "changed": a session they are booked on moved,
// or its joining details came.
type Changed struct {
	Name    string
	Event   Event    // as it is now; Position set when they are on the waiting list
	Changes []Change // what is different, in the order When, Where, How to join
	// Now is "online" or "in person" when the session changed from one to
	// the other: what a person with care needs must not miss.
	Now string
}

// Change is one thing about a session that changed: What ("Where") it
// Was, and what it is Now.
type Change struct {
	What, Was, Now string
}

// Reminder is the data for "reminder".
type Reminder struct {
	Name  string
	Event Event
	Soon  string // "in 2 days", "in 2 hours"
}

// Attendees is the data for "attendees": a session's list, for staff.
type Attendees struct {
	Title     string
	When      string
	Where     string
	Capacity  int
	Confirmed []Attendee
	Waiting   []Attendee
}

// Attendee is one line of an attendee list.
type Attendee struct {
	Name, Email, Phone string
	Places             int
	Needs              string
}

// ListPage is the data for the web pages "page-leave" and "page-join".
// Stage is StageAsk (one button, which POSTs: a mail scanner following
// the link changes nothing), StageDone, or StageBad (a link we did not
// make, or one that has expired: Problem says which).
type ListPage struct {
	Stage   Stage
	Email   string
	Problem string
}

// Prove is the data for "prove": a question whether a message in the
// person's name was theirs, and the answers to their reply. Stage is
// StageAsk (reply YES to do Risks), StageKept (they said no: nothing
// done) or StageExpired (their reply came too late: nothing done).
type Prove struct {
	Name  string
	Stage Stage
	Risks []Risk // what the message would do
	// PassedOn: the message went to staff too, who will answer it.
	PassedOn bool
	// Urgent: the message suggests someone may be at risk.
	Urgent bool
}

// Risk is one thing a message would do that needs the person's YES:
// Do ("cancel your place on"), and the session it is about, if any.
type Risk struct {
	Do          string
	Title, When string
}

// Fact is one answer the timetable gives: Say ("It finishes at 11am.")
// about the session Event.
type Fact struct {
	Say   string
	Event Event
}

// Access is the data for "access": a copy of everything held about the
// person (UK GDPR article 15). Stage is StageAsk (reply YES to have it),
// StageDone (it is attached), StageKept (they said no) or StageExpired.
type Access struct {
	Name  string
	Stage Stage
}

// Choose is why a numbered list is offered. The templates compare it with
// these values.
type Choose string

const (
	ChooseBook   Choose = "book"   // the sessions on offer
	ChooseDropin Choose = "dropin" // free one-to-one slots
	ChooseWhich  Choose = "which"  // their words matched several
	ChooseCancel Choose = "cancel" // which of their bookings
)

// ListNews is what happened about the mailing list in an answer.
type ListNews string

const (
	ListOffer    ListNews = "offer"    // booked, and never asked: a yes joins
	ListConfirm  ListNews = "confirm"  // asked to join: a yes confirms
	ListJoined   ListNews = "joined"   // joined now
	ListAlready  ListNews = "already"  // on it already
	ListLeft     ListNews = "left"     // left now
	ListNotOn    ListNews = "not-on"   // asked to leave, was not on it
	ListDeclined ListNews = "declined" // said no to joining
)

// Stage is where a conversation of several steps stands: a newsletter
// preview, a question whether a message was theirs, a list page.
type Stage string

const (
	StageAsk       Stage = "ask"
	StageDone      Stage = "done"
	StageBad       Stage = "bad"
	StageKept      Stage = "kept"
	StageUnsure    Stage = "unsure"
	StageExpired   Stage = "expired"
	StagePreview   Stage = "preview"
	StageSending   Stage = "sending"
	StageCancelled Stage = "cancelled"
)

// BulkPaused is the data for "bulk-paused": receiving servers are refusing
// the council's mail for reasons of its own, so list mail has stopped.
type BulkPaused struct {
	People int       // whose mail was refused, within Window
	Window string    // e.g. "24 hours"
	Said   []Refusal // what the servers said, newest first
	SetUp  []string  // the parts of the set-up the refusals point to, in words
}

// Refusal is one server's refusal of one message.
type Refusal struct {
	Rcpt   string
	Said   string // the server's words
	Reason string // sisimai's name for why, e.g. "authfailure"
}

// BounceStaff is the data for "bounce-staff": what the bot tells staff
// about the mail that comes back. Kind is "unread" (a report to our bounce
// address that the bot could not read, attached) or "complaints" (a
// newsletter's complaint rate passed the bulk senders' limit).
type BounceStaff struct {
	Kind string
	// unread
	Rcpt    string // whose message it was about
	Counted string // what it did, e.g. "a temporary failure (1 of 3 in 30 days)"
	// complaints
	Subject    string // the newsletter's
	Complaints int
	Sent       int
	Rate       string // e.g. "0.4%"
}

// Digest is the data for "digest": the day's news for staff.
type Digest struct {
	Since     string // "8am on Monday 14 June 2027"
	Booked    []DigestLine
	Waiting   []DigestLine
	Cancelled []DigestLine
	// ToPhone are people with no email address booked on something coming
	// soon: staff give them what the bot would have sent.
	ToPhone []DigestLine
	// NoJoining are online sessions soon that have no joining details yet,
	// though the people booked were told the link would come.
	NoJoining []DigestLine
	Handoffs  []DigestHandoff
}

// DigestLine is one booking, or one session, in the digest.
type DigestLine struct {
	Title, When string
	Who         string // "Mary Jones <mary@example.org>"; "" for a session
	Places      int
	Phone       string
}

// DigestHandoff is one message passed to staff.
type DigestHandoff struct {
	From, Subject, At string
}

// Withdrawn is the data for "withdrawn": a session they were booked on,
// or waiting for, has been cancelled by the organisers.
type Withdrawn struct {
	Name    string
	Event   Event
	Reason  string // the organisers' words; may be empty
	Waiting bool   // they were on the waiting list
	Choices []Choice
}

// WithdrawnStaff is the data for "withdrawn-staff": who was told that a
// session was withdrawn.
type WithdrawnStaff struct {
	Title, When, Reason string
	Confirmed, Waiting  []Attendee
}

// ByPhone is the data for "by-phone": what the bot would have emailed
// someone who has no email address, for a member of staff to read to
// them on the phone.
type ByPhone struct {
	Name, Phone string
	Subject     string
	Text        string // the email's plain text, as they would have had it
}

// PublicSessions is the data for the web page "page-sessions": what's on,
// for anyone, with booking by email.
type PublicSessions struct {
	Address  string // the project address
	Sessions []PublicSession
	Dropins  int    // one-to-one times free
	DropinTo string // a mailto: that asks for one
	FeedURL  string // the calendar feed
}

// PublicSession is one session on the public page.
type PublicSession struct {
	Title, When, Where, About string
	Left                      int
	Full                      bool
	BookTo                    string // a mailto: with the subject filled in
}

// PublicNewsletters is the data for "page-newsletters" (List) and
// "page-newsletter" (one, in HTML).
type PublicNewsletters struct {
	List []PublicNewsletter
	One  PublicNewsletter
}

// PublicNewsletter is one past newsletter.
type PublicNewsletter struct {
	Subject, Sent, URL string
	HTML               template.HTML
}

// Thanks is the data for "thanks": a person's views were kept as a
// contribution. Ask: the question whether they may be used, with the
// replies that answer it; Consent: their answer from before, used again;
// Answered: their answer to the question, now.
type Thanks struct {
	Name     string
	Ask      bool
	Consent  string // "", "asked" (a question is open), "yes", "named", "no"
	Answered string // "", "yes", "named", "no"
}

// BulkResumed is the data for "bulk-resumed": a member of staff's SEND to
// the news that list mail was paused.
type BulkResumed struct {
	Name    string
	Resumed bool // false: it had been resumed already
}
