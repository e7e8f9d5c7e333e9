package mailbot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"

	"github.com/emersion/go-message/mail"

	"github.com/betterdays/mailbot/store"
)

// SubjectAccess is everything held about one person, in the form a
// subject-access request (UK GDPR article 15) is answered in: JSON with
// plain names, times in RFC 3339, and the words of each message as text.
type SubjectAccess struct {
	Email       string            `json:"email"`
	Made        string            `json:"made_at"`
	About       string            `json:"about_this_file"`
	Person      *saPerson         `json:"person"`
	Bookings    []saBooking       `json:"bookings"`
	MailingList *saSubscription   `json:"mailing_list"`
	Questions   []saQuestion      `json:"questions_we_asked"`
	Bounces     []saBounce        `json:"delivery_failures"`
	Views       []saView          `json:"views_you_sent"`
	From        []saInbound       `json:"messages_from_them"`
	ForThem     []saInbound       `json:"messages_from_staff_about_them"`
	To          []saOutbound      `json:"messages_to_them"`
	Kept        map[string]string `json:"how_long_it_is_kept"`
}

type saPerson struct {
	Name          string `json:"name"`
	FirstSeen     string `json:"first_seen"`
	MailStopped   string `json:"mail_stopped_at,omitempty"`
	MailStoppedBy string `json:"mail_stopped_because,omitempty"`
}

type saBooking struct {
	Session     string `json:"session"`
	SessionID   string `json:"session_id"`
	Starts      string `json:"starts"`
	Places      int    `json:"places"`
	Status      string `json:"status"`
	Source      string `json:"how_it_was_made"`
	Phone       string `json:"phone,omitempty"`
	AccessNeeds string `json:"access_needs,omitempty"`
	BookedAt    string `json:"booked_at"`
}

type saSubscription struct {
	Status         string `json:"status"`
	Source         string `json:"how_the_request_came"`
	AskedAt        string `json:"asked_at"`
	RequestSentAt  string `json:"request_to_confirm_sent_at,omitempty"`
	ConsentedAt    string `json:"consented_at,omitempty"`
	ConsentHow     string `json:"consent_how,omitempty"`
	ConsentMessage string `json:"consent_message_id,omitempty"`
	LeftAt         string `json:"left_at,omitempty"`
	LeftHow        string `json:"left_how,omitempty"`
}

type saQuestion struct {
	Kind      string `json:"kind"`
	MessageID string `json:"message_id"`
	Subject   string `json:"subject,omitempty"`
	Words     string `json:"their_words,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Needs     string `json:"access_needs,omitempty"`
	At        string `json:"at"`
}

type saView struct {
	Text    string `json:"text"`
	Consent string `json:"consent"`
	At      string `json:"received_at"`
}

type saBounce struct {
	Status     string `json:"status"`
	Permanent  bool   `json:"permanent"`
	Diagnostic string `json:"diagnostic"`
	At         string `json:"at"`
}

type saInbound struct {
	MessageID  string `json:"message_id"`
	Subject    string `json:"subject,omitempty"`
	ReceivedAt string `json:"received_at"`
	Outcome    string `json:"what_we_did"`
}

type saOutbound struct {
	MessageID string `json:"message_id"`
	Kind      string `json:"kind"`
	Status    string `json:"status"`
	Queued    string `json:"queued_at"`
	Sent      string `json:"sent_at,omitempty"`
	Subject   string `json:"subject,omitempty"`
	Text      string `json:"text,omitempty"`
}

// stamp is t in RFC 3339, or "" for no time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// SubjectAccessOf reads everything held about email from st.
func SubjectAccessOf(ctx context.Context, st *store.Store, cfg Config, email string, now time.Time) (SubjectAccess, error) {
	h, err := st.HeldAbout(ctx, email)
	if err != nil {
		return SubjectAccess{}, err
	}
	return subjectAccess(h, cfg, email, now), nil
}

// accessDesk is the desk's way to answer a subject-access request by
// email: the same JSON as `mailbot export`, read in the desk's
// transaction.
type accessDesk struct{ cfg Config }

var _ desk.AccessDesk = accessDesk{}

func (a accessDesk) Export(ctx context.Context, tx *store.Tx, email string, now time.Time) ([]byte, error) {
	h, err := tx.HeldAbout(ctx, email)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	err = subjectAccess(h, a.cfg, email, now).WriteJSON(&buf)
	return buf.Bytes(), err
}

// subjectAccess shapes what is held about email for the person to read.
func subjectAccess(h store.Held, cfg Config, email string, now time.Time) SubjectAccess {
	sa := SubjectAccess{
		Email: email, Made: stamp(now),
		About: "Everything the Better Days mailbot's database holds about this address. Lists are empty where nothing is held.",
		Kept: map[string]string{
			"words of messages": fmt.Sprintf("%d days, then only what stops a message being handled or sent twice", cfg.KeepBodiesDays),
			"bookings":          "until you ask us to delete your details; then kept without your name, address, phone or access needs",
			"mailing list":      "until you leave it or ask us to delete your details",
		},
		Bookings: []saBooking{}, Questions: []saQuestion{}, Bounces: []saBounce{}, Views: []saView{},
		From: []saInbound{}, ForThem: []saInbound{}, To: []saOutbound{},
	}
	if p := h.Person; p != nil {
		sa.Person = &saPerson{Name: p.Name, FirstSeen: stamp(p.FirstSeen), MailStopped: stamp(p.SuppressedAt), MailStoppedBy: p.SuppressedWhy}
	}
	for _, b := range h.Bookings {
		sa.Bookings = append(sa.Bookings, saBooking{Session: b.Session.Title, SessionID: b.Session.ID, Starts: stamp(b.Session.Starts),
			Places: b.Places, Status: b.Status, Source: b.Source, Phone: b.Phone, AccessNeeds: b.Needs, BookedAt: stamp(b.BookedAt)})
	}
	if s := h.Subscription; s != nil {
		sa.MailingList = &saSubscription{Status: s.Status, Source: s.Source, AskedAt: stamp(s.AskedAt), RequestSentAt: stamp(s.RequestSentAt),
			ConsentedAt: stamp(s.ConsentedAt), ConsentHow: s.ConsentHow, ConsentMessage: s.ConsentMessage, LeftAt: stamp(s.LeftAt), LeftHow: s.LeftHow}
	}
	for _, q := range h.Questions {
		sa.Questions = append(sa.Questions, saQuestion{Kind: q.Kind, MessageID: q.MessageID, Subject: q.Subject, Words: q.Words,
			Phone: q.Phone, Needs: q.Needs, At: stamp(q.CreatedAt)})
	}
	for _, b := range h.Bounces {
		sa.Bounces = append(sa.Bounces, saBounce{Status: b.Status, Permanent: b.Permanent, Diagnostic: b.Diagnostic, At: stamp(b.At)})
	}
	for _, m := range h.From {
		sa.From = append(sa.From, saInbound{MessageID: m.MessageKey, Subject: m.Subject, ReceivedAt: stamp(m.ReceivedAt), Outcome: m.Outcome})
	}
	for _, m := range h.About {
		sa.ForThem = append(sa.ForThem, saInbound{MessageID: m.MessageKey, Subject: m.Subject, ReceivedAt: stamp(m.ReceivedAt), Outcome: m.Outcome})
	}
	for _, v := range h.Views {
		sa.Views = append(sa.Views, saView{Text: v.Text, Consent: v.Consent, At: stamp(v.At)})
	}
	for _, m := range h.To {
		o := saOutbound{MessageID: m.MessageID, Kind: m.Kind, Status: m.Status, Queued: stamp(m.CreatedAt), Sent: stamp(m.SentAt)}
		o.Subject, o.Text = plainWords(m.Body)
		sa.To = append(sa.To, o)
	}
	return sa
}

// plainWords is the subject and plain-text part of a message we sent, or
// what can be read of them: the HTML part says the same, and the
// calendar file repeats the booking.
func plainWords(raw []byte) (subject, text string) {
	if len(raw) == 0 {
		return "", ""
	}
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		return "", ""
	}
	defer r.Close()
	subject, _ = r.Header.Subject()
	for {
		p, err := r.NextPart()
		if err != nil {
			break
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				b, _ := io.ReadAll(io.LimitReader(p.Body, 1<<20))
				return subject, strings.ReplaceAll(string(b), "\r\n", "\n")
			}
		}
	}
	return subject, text
}

// WriteJSON writes sa, indented for a person to read.
func (sa SubjectAccess) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sa)
}
