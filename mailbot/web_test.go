package mailbot

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"

	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/betterdays/mailbot/store"
)

// health is GET /healthz as a monitor reads it: the status, the JSON's
// fields by name, and its headers.
func health(t *testing.T, url string) (int, map[string]any, http.Header) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var rep map[string]any
	if err := json.NewDecoder(res.Body).Decode(&rep); err != nil {
		t.Fatalf("healthz is not JSON: %v", err)
	}
	return res.StatusCode, rep, res.Header
}

// at reads a time field of the report, failing the test when it is not
// RFC 3339.
func at(t *testing.T, rep map[string]any, key string) time.Time {
	t.Helper()
	s, _ := rep[key].(string)
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("%s = %v, want an RFC 3339 time: %v", key, rep[key], err)
	}
	return v
}

// TestHealthReport follows /healthz over real HTTP through a bot's life:
// connected with nothing waiting; a reply stuck in the outbox because the
// SMTP server is down, its age growing; then the IMAP server gone, which
// is a 503 that still says when the inbox was last read.
func TestHealthReport(t *testing.T) {
	t.Parallel()
	ms := startMailServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String() // a port nothing listens on, once closed
	ln.Close()
	cfg := e2eConfig(t, ms, t.TempDir(), map[string]string{"MAILBOT_SMTP": "smtp://" + dead})
	svc, err := NewService(context.Background(), cfg, SystemClock, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/healthz"
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx, ln) }()
	defer func() { cancel(); <-done }()

	var code int
	var rep map[string]any
	var hdr http.Header
	mailtest.WaitFor(t, "the inbox to be read once", func() bool {
		code, rep, hdr = health(t, url)
		return rep["last_poll"] != nil
	})
	if code != http.StatusOK || rep["ok"] != true || rep["imap_connected"] != true {
		t.Fatalf("connected: %d %v, want 200, ok and imap_connected", code, rep)
	}
	if ct, cc := hdr.Get("Content-Type"), hdr.Get("Cache-Control"); ct != "application/json" || cc != "no-store" {
		t.Errorf("headers: Content-Type %q, Cache-Control %q", ct, cc)
	}
	if p := at(t, rep, "last_poll"); p.Before(start) || p.After(time.Now()) {
		t.Errorf("last_poll %v, want between the start %v and now", p, start)
	}
	if s, ok := rep["last_poll_seconds"].(float64); !ok || s < 0 || s > 10 {
		t.Errorf("last_poll_seconds = %v, want the few seconds since the last look", rep["last_poll_seconds"])
	}
	if rep["outbox_queued"] != 0.0 || rep["oldest_queued_seconds"] != 0.0 || rep["oldest_queued_at"] != nil {
		t.Errorf("empty outbox reported as %v", rep)
	}

	// A reply that cannot go waits in the outbox, and the report says
	// since when.
	mailtest.Send(t, ms.SMTPAddr(), "pat@example.org", botAddress, message("pat@example.org", "help", "h1@example.org", "help"))
	mailtest.WaitFor(t, "the reply to wait in the outbox", func() bool {
		_, rep, _ = health(t, url)
		return rep["outbox_queued"] == 1.0
	})
	queued := at(t, rep, "oldest_queued_at")
	if queued.Before(start.Add(-time.Second)) || queued.After(time.Now()) {
		t.Errorf("oldest_queued_at %v, want since the test started at %v", queued, start)
	}
	first := rep["oldest_queued_seconds"].(float64)
	time.Sleep(1100 * time.Millisecond)
	_, rep, _ = health(t, url)
	if later := rep["oldest_queued_seconds"].(float64); later < first+1 {
		t.Errorf("oldest_queued_seconds went from %v to %v over a second", first, later)
	}
	if rep["ok"] != true {
		t.Errorf("a slow outbox made the bot unhealthy: %v", rep)
	}

	// The IMAP server goes: 503, and the last look is still reported.
	lastPoll := at(t, rep, "last_poll")
	ms.Close()
	mailtest.WaitFor(t, "healthz to see the inbox gone", func() bool {
		code, rep, _ = health(t, url)
		return code == http.StatusServiceUnavailable
	})
	if rep["ok"] != false || rep["imap_connected"] != false || !strings.Contains(rep["problem"].(string), "IMAP") {
		t.Errorf("disconnected: %v, want not ok, not connected, and the problem named", rep)
	}
	if p := at(t, rep, "last_poll"); p.Before(lastPoll) {
		t.Errorf("last_poll went back from %v to %v", lastPoll, p)
	}
	if rep["outbox_queued"] != 1.0 {
		t.Errorf("outbox_queued = %v after the disconnection, want the 1 still waiting", rep["outbox_queued"])
	}
}

// TestHealthDatabaseUnreadable: a database that cannot be read is a 503
// that says so, not a report of an empty outbox.
func TestHealthDatabaseUnreadable(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	srv := httptest.NewServer(webFor(d, InboxStatus{Connected: true}).handler())
	t.Cleanup(srv.Close)
	if code, rep, _ := health(t, srv.URL+"/healthz"); code != http.StatusOK || rep["ok"] != true {
		t.Fatalf("before: %d %v, want 200 and ok", code, rep)
	}
	d.st.Close()
	code, rep, _ := health(t, srv.URL+"/healthz")
	if code != http.StatusServiceUnavailable || rep["ok"] != false || !strings.Contains(rep["problem"].(string), "database") {
		t.Errorf("database closed: %d %v, want 503 naming the database", code, rep)
	}
}

// webFor is the web of d's bot, its inbox standing still in the state in.
func webFor(d *rig, in InboxStatus) *web {
	w := newWeb(&Service{Bot: d.bot, Store: d.st}, d.bot.log)
	w.inbox = inboxStatusFunc(func() InboxStatus { return in })
	return w
}

// serveWeb serves w as the bot does, on a port of its own until the test
// ends, and returns its address and a client that shows redirects rather
// than following them.
func serveWeb(t *testing.T, w *web) (string, *http.Client) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return "http://" + ln.Addr().String(), client
}

// TestWebHostileRequests sends the web endpoint what a scanner or an
// attacker might, through the server as the bot runs it: each gets a
// plain refusal, never a 500 or a hang, and nothing changes.
func TestWebHostileRequests(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.joined(mary)
	leave := regexp.MustCompile(`/list/leave/[a-z0-9]+`).FindString(d.newsletter("News", "Hello")[mary][0].Header.Get("List-Unsubscribe"))
	// A link for someone the database no longer has.
	ghost := "/list/leave/" + d.bot.sign.Token(desk.PurposeLeave, 999999, 0)

	base, client := serveWeb(t, webFor(d, InboxStatus{}))

	for _, tc := range []struct {
		name, method, path string
		header             map[string]string
		body               string
		code               int
	}{
		{"PUT a leave link", "PUT", leave, nil, "", http.StatusMethodNotAllowed},
		{"DELETE the health check", "DELETE", "/healthz", nil, "", http.StatusMethodNotAllowed},
		{"no token", "POST", "/list/leave/", nil, "", http.StatusNotFound},
		{"a 60 KB token", "POST", "/list/leave/" + strings.Repeat("a", 60<<10), nil, "", http.StatusBadRequest},
		{"a token with markup", "GET", "/list/leave/%3Cscript%3Ealert(1)%3C%2Fscript%3E", nil, "", http.StatusBadRequest},
		{"a link for someone forgotten", "POST", ghost, nil, "", http.StatusBadRequest},
		{"a 100 KB header", "GET", leave, map[string]string{"X-Junk": strings.Repeat("j", 100<<10)}, "", http.StatusRequestHeaderFieldsTooLarge},
		{"a 10 MB form", "POST", "/list/leave/aaaa", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			"List-Unsubscribe=One-Click&" + strings.Repeat("x=y&", 10<<18), http.StatusBadRequest},
		{"an unknown page", "GET", "/admin", nil, "", http.StatusNotFound},
		{"up and out of the path", "GET", "/list/leave/../../../etc/passwd", nil, "", http.StatusTemporaryRedirect}, // to /etc/passwd: a 404
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.code {
				t.Errorf("%d, want %d: %.200s", res.StatusCode, tc.code, b)
			}
			if strings.Contains(string(b), "<script") {
				t.Errorf("the answer echoes markup: %.300s", b)
			}
			if tc.code == http.StatusBadRequest && !strings.Contains(string(b), "this link doesn't work") {
				t.Errorf("a refused link gets %.300s, want the plain page", b)
			}
		})
	}
	if sub := d.subscription(mary); sub.Status != store.Confirmed {
		t.Errorf("after all that mary is %s, want still on the list", sub.Status)
	}
}

// TestWebFramingHeaders asks the web endpoint, over real HTTP as the bot
// serves it, for every kind of answer it gives: each must forbid framing
// (one policy, merged with the page's own) and sniffing.
func TestWebFramingHeaders(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.joined(mary)
	leave := regexp.MustCompile(`/list/leave/[a-z0-9]+`).FindString(d.newsletter("News", "Hello")[mary][0].Header.Get("List-Unsubscribe"))
	base, client := serveWeb(t, webFor(d, InboxStatus{Connected: true}))

	type ask struct {
		name, method, path string
		code               int
		ownCSP             bool // the page sends a policy of its own, which must survive
	}
	check := func(t *testing.T, tc ask) {
		res, err := client.Do(mustRequest(t, tc.method, base+tc.path))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != tc.code {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, res.StatusCode, tc.code)
		}
		if got := res.Header.Values("X-Frame-Options"); len(got) != 1 || got[0] != "DENY" {
			t.Errorf("X-Frame-Options = %q, want DENY once", got)
		}
		if got := res.Header.Values("X-Content-Type-Options"); len(got) != 1 || got[0] != "nosniff" {
			t.Errorf("X-Content-Type-Options = %q, want nosniff once", got)
		}
		csp := res.Header.Values("Content-Security-Policy")
		if len(csp) != 1 || !strings.Contains(csp[0], "frame-ancestors 'none'") {
			t.Fatalf("Content-Security-Policy = %q, want one policy with frame-ancestors 'none'", csp)
		}
		if own := strings.Contains(csp[0], "default-src 'none'"); own != tc.ownCSP {
			t.Errorf("Content-Security-Policy = %q: the page's own policy kept is %v, want %v", csp[0], own, tc.ownCSP)
		}
	}
	for _, tc := range []ask{
		{"health", "GET", "/healthz", http.StatusOK, false},
		{"the leave page", "GET", leave, http.StatusOK, true},
		{"a bad link", "GET", "/list/join/nonsense", http.StatusBadRequest, true},
		{"an unknown page", "GET", "/admin", http.StatusNotFound, false},
		{"a wrong method", "DELETE", "/healthz", http.StatusMethodNotAllowed, false},
		{"a path cleaned by redirect", "GET", "/list/../healthz", http.StatusTemporaryRedirect, false},
		{"leaving", "POST", leave, http.StatusOK, true},
	} {
		t.Run(tc.name, func(t *testing.T) { check(t, tc) })
	}
	// The error pages too: a database gone makes the list pages 500 and
	// the health check 503.
	d.st.Close()
	for _, tc := range []ask{
		{"health, the database gone", "GET", "/healthz", http.StatusServiceUnavailable, false},
		{"a page, the database gone", "GET", leave, http.StatusInternalServerError, false},
	} {
		t.Run(tc.name, func(t *testing.T) { check(t, tc) })
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestNoFraming merges frame-ancestors 'none' into the policies a page
// sends: one policy stays one, and no page can allow framing back.
func TestNoFraming(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   []string
		want []string
	}{
		{nil, []string{"frame-ancestors 'none'"}},
		{[]string{"default-src 'none'; style-src 'unsafe-inline'"}, []string{"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"}},
		{[]string{"default-src 'self';"}, []string{"default-src 'self'; frame-ancestors 'none'"}},
		{[]string{"frame-ancestors https://evil.example; img-src *"}, []string{"img-src *; frame-ancestors 'none'"}},
		{[]string{"  FRAME-ANCESTORS\t* ;default-src   'none'  "}, []string{"default-src 'none'; frame-ancestors 'none'"}},
		{[]string{"default-src 'none'", "frame-ancestors *; script-src 'self'"}, []string{"default-src 'none'; frame-ancestors 'none'", "script-src 'self'"}},
		{[]string{"frame-ancestors *"}, []string{"frame-ancestors 'none'"}},
		{[]string{"default-src 'none'", "frame-ancestors *"}, []string{"default-src 'none'; frame-ancestors 'none'"}},
	} {
		if got := noFraming(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("noFraming(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
