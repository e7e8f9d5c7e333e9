package mailbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"

	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// web serves the HTTP side: the health check that monitoring polls, the
// mailing list's one-click pages and the public pages. It reads and acts
// only through the seams below, not the whole Service, so what a page can
// reach is written down here.
type web struct {
	status webStatus
	inbox  inboxState
	links  listLinks
	public publicSource
	issues issueSource
	tpl    *templates.Set
	clock  Clock
	// address, baseURL and tz are the configuration the pages show:
	// MAILBOT_ADDRESS, MAILBOT_BASE_URL and MAILBOT_TZ.
	address string
	baseURL *url.URL
	tz      *time.Location
	log     *slog.Logger
}

// newWeb wires the pages to the service's parts.
func newWeb(s *Service, log *slog.Logger) *web {
	b := s.Bot
	return &web{
		status: s.Store, inbox: s.Inbox, links: b, public: s.Store, issues: b,
		tpl: b.tpl, clock: b.clock, address: b.cfg.Address, baseURL: b.cfg.BaseURL, tz: b.cfg.TZ,
		log: log,
	}
}

// webStatus is what the health check and the metrics read from the
// database: counts and states, nothing about any one person.
type webStatus interface {
	OutboxStats(context.Context) (store.OutboxStats, error)
	BulkPause(context.Context) (store.Pause, error)
	Counts(context.Context) (store.Counts, error)
	BounceStats(context.Context) (store.BounceStats, error)
	// Fault is the database's file or disk fault last seen, if any;
	// Classify names the one behind err.
	Fault() *store.Fault
	Classify(err error) error
}

var _ webStatus = (*store.Store)(nil)

// inboxState is the inbox's connection as this process last saw it.
type inboxState interface {
	Status() InboxStatus
}

var _ inboxState = (*Inbox)(nil)

// inboxStatusFunc is an inboxState from a function, for a test that
// needs an inbox in a given state and not a connection to one.
type inboxStatusFunc func() InboxStatus

func (f inboxStatusFunc) Status() InboxStatus { return f() }

var _ inboxState = inboxStatusFunc(nil)

// listLinks is what the mailing list's pages do with the signed token in
// their address: say whose it is, and act on it.
type listLinks interface {
	LinkOwner(ctx context.Context, purpose desk.Purpose, token string) (string, error)
	LeaveByLink(ctx context.Context, token string) (string, error)
	JoinByLink(ctx context.Context, token string) (string, error)
}

var _ listLinks = (*Bot)(nil)

func (w *web) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", w.health)
	mux.HandleFunc("GET /metrics", w.metrics)
	mux.HandleFunc("GET /list/leave/{token}", w.listPage("page-leave", desk.PurposeLeave, nil))
	mux.HandleFunc("POST /list/leave/{token}", w.listPage("page-leave", desk.PurposeLeave, w.links.LeaveByLink))
	mux.HandleFunc("GET /list/join/{token}", w.listPage("page-join", desk.PurposeConfirm, nil))
	mux.HandleFunc("POST /list/join/{token}", w.listPage("page-join", desk.PurposeConfirm, w.links.JoinByLink))
	mux.HandleFunc("GET /sessions", w.sessions)
	mux.HandleFunc("GET /sessions.ics", w.sessionsFeed)
	mux.HandleFunc("GET /newsletters", w.newsletters)
	mux.HandleFunc("GET /newsletters/{id}", w.newsletter)
	return framingDenied(mux)
}

// framingDenied gives every answer of next, the mux's own 404s, 405s and
// redirects and every error page included, the headers that stop another
// site framing our pages (clickjacking the leave and join buttons) and a
// browser reading one as other than its Content-Type says. Answers
// net/http writes before any handler runs (a malformed request, a header
// over maxRequestHeader) are its own short plain text, beyond our reach.
func framingDenied(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		h := rw.Header()
		h.Set("X-Frame-Options", "DENY") // for browsers older than CSP's frame-ancestors
		h.Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(&cspWriter{ResponseWriter: rw}, r)
	})
}

// cspWriter adds frame-ancestors 'none' to the page's own
// Content-Security-Policy as the header goes out, as the page may set one
// of its own after framingDenied ran.
type cspWriter struct {
	http.ResponseWriter
	wrote bool
}

func (c *cspWriter) WriteHeader(code int) {
	if !c.wrote {
		c.wrote = true
		h := c.ResponseWriter.Header()
		h["Content-Security-Policy"] = noFraming(h.Values("Content-Security-Policy"))
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *cspWriter) Write(b []byte) (int, error) {
	if !c.wrote {
		c.WriteHeader(http.StatusOK)
	}
	return c.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (c *cspWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// noFraming returns the policies with frame-ancestors 'none' in the first
// and in no other form anywhere. It is merged into the page's policy, not
// sent as a second header: a browser enforces every policy it is sent, so
// a second one would also work, but a reader of the headers would see two
// policies that seem to disagree.
func noFraming(policies []string) []string {
	const deny = "frame-ancestors 'none'"
	if len(policies) == 0 {
		return []string{deny}
	}
	out := make([]string, 0, len(policies))
	for i, p := range policies {
		var keep []string
		for d := range strings.SplitSeq(p, ";") {
			if f := strings.Fields(d); len(f) > 0 && !strings.EqualFold(f[0], "frame-ancestors") {
				keep = append(keep, strings.Join(f, " "))
			}
		}
		if i == 0 {
			keep = append(keep, deny)
		}
		if len(keep) > 0 {
			out = append(out, strings.Join(keep, "; "))
		}
	}
	return out
}

// listPage serves one of the list's pages. GET only shows a button: mail
// scanners follow links, and must change nothing. POST, from the button or
// from a mailbox provider's one-click unsubscribe (RFC 8058), does it; it
// needs no cookie, as the token in the address is the proof.
func (w *web) listPage(page string, purpose desk.Purpose, do func(context.Context, string) (string, error)) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		token := r.PathValue("token")
		data := templates.ListPage{Stage: templates.StageAsk}
		var err error
		if do == nil {
			data.Email, err = w.links.LinkOwner(r.Context(), purpose, token)
		} else {
			data.Stage = templates.StageDone
			data.Email, err = do(r.Context(), token)
		}
		status := http.StatusOK
		switch {
		case errors.Is(err, errBadToken), errors.Is(err, store.ErrNotFound):
			data.Stage, data.Problem, status = "bad", "not one of ours, or it has been cut short", http.StatusBadRequest
		case errors.Is(err, desk.ErrExpiredToken):
			data.Stage, data.Problem, status = "bad", "out of date", http.StatusGone
		case err != nil:
			w.log.Error("list page", "page", page, "err", err)
			http.Error(rw, "Sorry, something went wrong. Please try again later.", http.StatusInternalServerError)
			return
		}
		if data.Stage == templates.StageBad {
			w.log.Warn("list link refused", "page", page, "problem", data.Problem, "remote", r.RemoteAddr)
		}
		html, err := w.tpl.Page(page, "Better Days mailing list", data)
		if err != nil {
			w.log.Error("list page", "page", page, "err", err)
			http.Error(rw, "Sorry, something went wrong. Please try again later.", http.StatusInternalServerError)
			return
		}
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		rw.Header().Set("Cache-Control", "no-store")
		rw.Header().Set("Referrer-Policy", "no-referrer") // the token is in the address
		rw.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
		rw.WriteHeader(status)
		io.WriteString(rw, html)
	}
}

// healthReport is what GET /healthz answers, for monitoring: the inbox's
// connection and when it last finished looking for mail, and how much mail
// is waiting to go and for how long. Ages are given in seconds as well as
// times, so a check can compare them with a number.
type healthReport struct {
	OK             bool      `json:"ok"`
	IMAPConnected  bool      `json:"imap_connected"`
	LastPoll       time.Time `json:"last_poll,omitzero"`
	LastPollS      *float64  `json:"last_poll_seconds,omitempty"`
	OutboxQueued   int       `json:"outbox_queued"`
	OutboxFailed   int       `json:"outbox_failed"`
	OldestQueuedAt time.Time `json:"oldest_queued_at,omitzero"`
	OldestQueuedS  float64   `json:"oldest_queued_seconds"`
	// Problem says why OK is false, in words for whoever is paged.
	Problem string `json:"problem,omitempty"`
	// DatabaseFault is the kind of fault of the database's file or disk
	// (store.FaultKind: "read-only", "disk full", "locked", …), for a
	// check that acts on it.
	DatabaseFault string `json:"database_fault,omitempty"`
	// BulkPaused: list mail is held back because receiving servers
	// refuse the council's mail (its SPF, DKIM, DMARC, reverse DNS, a
	// block list), since BulkPausedAt, for BulkPausedWhy. It does not
	// make OK false: the bot is working, and a load balancer that took
	// it away would take the unsubscribe links with it. Staff were
	// emailed; `mailbot newsletter resume` ends it.
	BulkPaused    bool      `json:"bulk_paused"`
	BulkPausedAt  time.Time `json:"bulk_paused_at,omitzero"`
	BulkPausedWhy string    `json:"bulk_paused_why,omitempty"`
}

// health answers 200 when the bot is reading its inbox and can read its
// database, and 503 otherwise, so a load balancer or monitor needs only
// the status.
func (w *web) health(rw http.ResponseWriter, r *http.Request) {
	in := w.inbox.Status()
	st, err := w.status.OutboxStats(r.Context())
	rep := healthReport{
		IMAPConnected: in.Connected, LastPoll: in.LastPoll,
		OutboxQueued: st.Queued, OutboxFailed: st.Failed, OldestQueuedAt: st.OldestQueued,
	}
	if !in.LastPoll.IsZero() {
		s := time.Since(in.LastPoll).Seconds()
		rep.LastPollS = &s
	}
	if !st.OldestQueued.IsZero() {
		rep.OldestQueuedS = time.Since(st.OldestQueued).Seconds()
	}
	if err == nil {
		var p store.Pause
		p, err = w.status.BulkPause(r.Context())
		rep.BulkPaused, rep.BulkPausedAt, rep.BulkPausedWhy = p.Paused, p.Since, p.Why
	}
	// A database fault comes first: it is also why the inbox disconnects,
	// and what whoever is paged must fix.
	fault := w.status.Fault()
	if err != nil {
		err = w.status.Classify(err)
		w.log.Error("health: reading the outbox", "err", err)
		errors.As(err, &fault)
	}
	switch {
	case fault != nil:
		rep.Problem, rep.DatabaseFault = fault.Problem, string(fault.Kind)
	case err != nil:
		rep.Problem = "the database cannot be read"
	case !in.Connected:
		rep.Problem = "not connected to the IMAP server"
	default:
		rep.OK = true
	}
	rw.Header().Set("Content-Type", "application/json")
	rw.Header().Set("Cache-Control", "no-store")
	if !rep.OK {
		rw.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(rw).Encode(rep)
}

// maxRequestHeader bounds a request's header: a browser's is a few
// kilobytes, and the longest address we hand out is well under one.
const maxRequestHeader = 64 << 10

// serve listens on addr until ctx is done.
func (w *web) serve(ctx context.Context, ln net.Listener) error {
	// The pages may face the internet: a client that sends slowly, sends
	// a huge header or holds a connection idle is cut off.
	srv := &http.Server{
		Handler:           w.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxRequestHeader,
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web: %w", err)
	}
	return nil
}
