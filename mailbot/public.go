package mailbot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/calendar"
	"github.com/betterdays/mailbot/mailbot/desk"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// The public pages: what's on, a calendar feed of it, and past
// newsletters, for keeping up to date without an account or an email.
// Booking stays by email: every page says how, with a mailto that fills
// the subject. Nothing on them is about any one person, and they need no
// script.

// publicPolicy lets the pages have their inline styles and nothing else.
const publicPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'"

// publicSource is what the public pages read from the database: the
// timetable and the newsletters sent.
type publicSource interface {
	UpcomingSessions(ctx context.Context, from time.Time, kind store.SessionKind) ([]store.SessionPlaces, error)
	SentNewsletters(ctx context.Context) ([]store.Newsletter, error)
}

var _ publicSource = (*store.Store)(nil)

// issueSource renders a newsletter once and keeps it, as the outbox does
// for its copies.
type issueSource interface {
	issue(ctx context.Context, id int64) (issue, error)
}

var _ issueSource = (*Bot)(nil)

// publicURL is the address of a public page under MAILBOT_BASE_URL.
func (w *web) publicURL(path string) string {
	return strings.TrimSuffix(w.baseURL.String(), "/") + path
}

// mailto is a link that starts an email to the bot with subject filled in
// (RFC 6068: the subject percent-encoded, spaces as %20).
func (w *web) mailto(subject string) string {
	return "mailto:" + w.address + "?subject=" + strings.ReplaceAll(url.QueryEscape(subject), "+", "%20")
}

// page writes a public HTML page, or a plain error if it can't be made.
func (w *web) page(rw http.ResponseWriter, name, title string, data any) {
	html, err := w.tpl.Page(name, title, data)
	if err != nil {
		w.log.Error("public page", "page", name, "err", err)
		http.Error(rw, "Sorry, something went wrong. Please try again later.", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Cache-Control", "public, max-age=300")
	rw.Header().Set("Content-Security-Policy", publicPolicy)
	io.WriteString(rw, html)
}

// sessions is GET /sessions: the group sessions coming up with places
// left, and how many one-to-one times are free.
func (w *web) sessions(rw http.ResponseWriter, r *http.Request) {
	upcoming, err := w.public.UpcomingSessions(r.Context(), w.clock.Now(), "")
	if err != nil {
		w.log.Error("public sessions", "err", err)
		http.Error(rw, "Sorry, something went wrong. Please try again later.", http.StatusInternalServerError)
		return
	}
	data := templates.PublicSessions{Address: w.address, FeedURL: w.publicURL("/sessions.ics"),
		DropinTo: w.mailto("A one-to-one conversation")}
	for _, s := range upcoming {
		if s.Kind == store.Dropin {
			if s.Left > 0 {
				data.Dropins++
			}
			continue
		}
		when := desk.When(s.Starts, s.Ends, w.tz)
		data.Sessions = append(data.Sessions, templates.PublicSession{
			Title: s.Title, When: when, Where: s.Location, About: s.Description, Left: s.Left, Full: s.Left <= 0,
			BookTo: w.mailto("Book: " + s.Title + ", " + when),
		})
	}
	w.page(rw, "page-sessions", "Better Days: what's on", data)
}

// sessionsFeed is GET /sessions.ics: every open group session coming up,
// as a calendar to subscribe to. Each UID is the session's own, so a
// calendar that polls updates the events it has; a withdrawn session
// drops out of the feed, as subscribed calendars expect. Joining links
// are left out: they are for the people booked.
func (w *web) sessionsFeed(rw http.ResponseWriter, r *http.Request) {
	now := w.clock.Now()
	upcoming, err := w.public.UpcomingSessions(r.Context(), now, store.Group)
	if err != nil {
		w.log.Error("public calendar feed", "err", err)
		http.Error(rw, "Sorry, something went wrong. Please try again later.", http.StatusInternalServerError)
		return
	}
	_, domain, _ := strings.Cut(w.address, "@")
	var evs []calendar.Event
	for _, s := range upcoming {
		desc := s.Description
		if desc != "" {
			desc += "\n\n"
		}
		desc += "To book, email " + w.address + " with the name or date of this session."
		evs = append(evs, calendar.Event{
			UID: "session-" + s.ID + "@" + domain, Sequence: s.Sequence,
			Summary: "Better Days: " + s.Title, Description: desc, Location: s.Location,
			URL: w.publicURL("/sessions"), Start: s.Starts, End: s.Ends,
			// With a METHOD, DTSTAMP is when this copy of the object was
			// made (RFC 5545 §3.8.7.2): now. SEQUENCE says which version.
			Stamp: now,
		})
	}
	var buf bytes.Buffer
	if err := calendar.WriteFeed(&buf, w.tz, "Better Days", evs); err != nil {
		w.log.Error("public calendar feed", "err", err)
		http.Error(rw, "Sorry, something went wrong. Please try again later.", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	rw.Header().Set("Content-Disposition", `inline; filename="better-days.ics"`)
	rw.Header().Set("Cache-Control", "public, max-age=900")
	rw.Write(buf.Bytes())
}

// newsletters is GET /newsletters: the newsletters sent to the list,
// newest first.
func (w *web) newsletters(rw http.ResponseWriter, r *http.Request) {
	ns, err := w.public.SentNewsletters(r.Context())
	if err != nil {
		w.log.Error("public newsletters", "err", err)
		http.Error(rw, "Sorry, something went wrong. Please try again later.", http.StatusInternalServerError)
		return
	}
	var data templates.PublicNewsletters
	for _, n := range ns {
		data.List = append(data.List, templates.PublicNewsletter{Subject: n.Subject, Sent: w.sent(n),
			URL: w.publicURL(fmt.Sprintf("/newsletters/%d", n.ID))})
	}
	w.page(rw, "page-newsletters", "Better Days newsletters", data)
}

// newsletter is GET /newsletters/{id}: one, as everyone on the list read
// it, without their own unsubscribe link. A preview never sent is not
// found.
func (w *web) newsletter(rw http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var is issue
	if err == nil {
		is, err = w.issues.issue(r.Context(), id)
	}
	switch {
	case err == nil && !is.n.QueuedAt.IsZero():
	case err == nil, errors.Is(err, store.ErrNotFound), errors.Is(err, strconv.ErrSyntax), errors.Is(err, strconv.ErrRange):
		http.NotFound(rw, r)
		return
	default:
		w.log.Error("public newsletter", "err", err)
		http.Error(rw, "Sorry, something went wrong. Please try again later.", http.StatusInternalServerError)
		return
	}
	w.page(rw, "page-newsletter", is.n.Subject, templates.PublicNewsletters{One: templates.PublicNewsletter{
		Subject: is.n.Subject, Sent: w.sent(is.n), HTML: is.html}})
}

// sent says when a newsletter went, as "Tuesday 15 June 2027".
func (w *web) sent(n store.Newsletter) string {
	t := n.QueuedAt.In(w.tz)
	return fmt.Sprintf("%s %d %s %d", t.Weekday(), t.Day(), t.Month(), t.Year())
}
