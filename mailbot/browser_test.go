//go:build linux

package mailbot

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/betterdays/mailbot/mailbot/desk"

	"github.com/betterdays/mailbot/store"
)

// TestBrowserListPages opens the mailing list's pages in a real Chromium,
// served by the bot's own HTTP handler over a real socket, and presses
// their buttons with the mouse as a person would: once with JavaScript on,
// and once with it off, as some people (and some councils' locked-down
// machines) browse. Each page must do its job in the database, say so, and
// be usable: a language for screen readers, a heading, a labelled button,
// text large enough to read, no sideways scrolling on a phone, and nothing
// loaded from anywhere else.
func TestBrowserListPages(t *testing.T) {
	t.Parallel()
	for _, js := range []bool{true, false} {
		t.Run("javascript "+map[bool]string{true: "on", false: "off"}[js], func(t *testing.T) {
			browser := startBrowser(t, js)
			checkJavaScript(t, browser, js)
			d := newDesk(t, nil)
			srv := httptest.NewServer(newWeb(&Service{Bot: d.bot, Store: d.st}, d.bot.log).handler())
			t.Cleanup(srv.Close)
			// Links in mail name MAILBOT_BASE_URL; the test serves elsewhere.
			local := func(link string) string {
				u, err := url.Parse(link)
				if err != nil {
					t.Fatal(err)
				}
				return srv.URL + u.Path
			}

			t.Run("leave", func(t *testing.T) {
				b := browser.on(t)
				d.joined(mary)
				c := d.newsletter("News", "Hello")[mary][0]
				leave := local(regexp.MustCompile(`<(http[^>]+)>`).FindStringSubmatch(c.Header.Get("List-Unsubscribe"))[1])
				b.open(leave)
				checkPage(t, b, srv.URL, axNode{"button", "Unsubscribe"})
				if got := b.text("main"); !strings.Contains(got, mary) {
					t.Errorf("the page does not say whose address leaves:\n%s", got)
				}
				if sub := d.subscription(mary); sub.Status != store.Confirmed {
					t.Fatalf("opening the page changed the subscription: %s", sub.Status)
				}

				b.click("form button")
				b.waitFor(leave, "[role=status]")
				if got := b.text("[role=status]"); !strings.Contains(got, mary+" is off our mailing list") {
					t.Errorf("after pressing the button the page says %q", got)
				}
				checkPage(t, b, srv.URL, axNode{"status", ""})
				if sub := d.subscription(mary); sub.Status != store.Unsubscribed || sub.LeftHow != desk.LeftByLink {
					t.Errorf("after pressing the button: %+v, want unsubscribed by link", sub)
				}
				d.one(mary).must(t, "You are off our mailing list")
			})

			t.Run("join", func(t *testing.T) {
				b := browser.on(t)
				d.send(ann, "list", "subscribe")
				join := local(linkPattern.FindString(d.one(ann).Text))
				b.open(join)
				checkPage(t, b, srv.URL, axNode{"button", "Yes, add me"})
				if sub := d.subscription(ann); sub.Status != store.Pending {
					t.Fatalf("opening the page changed the subscription: %s", sub.Status)
				}
				b.click("form button")
				b.waitFor(join, "[role=status]")
				if got := b.text("[role=status]"); !strings.Contains(got, ann+" is on our mailing list") {
					t.Errorf("after pressing the button the page says %q", got)
				}
				checkPage(t, b, srv.URL, axNode{"status", ""})
				if sub := d.subscription(ann); sub.Status != store.Confirmed || sub.ConsentHow != desk.ConsentLink {
					t.Errorf("after pressing the button: %+v, want confirmed by link", sub)
				}
				d.one(ann).must(t, "you are on our mailing list")
			})

			t.Run("tampered link", func(t *testing.T) {
				b := browser.on(t)
				b.open(srv.URL + "/list/leave/aaaaaaaaaaaaaaaaaaaaaaaa")
				checkPage(t, b, srv.URL, axNode{"alert", ""})
				if got := b.text("[role=alert]"); !strings.Contains(got, "this link doesn't work") {
					t.Errorf("a tampered link's page says %q", got)
				}
				if n := b.count("form, button"); n != 0 {
					t.Errorf("a tampered link's page has %d forms or buttons, want none", n)
				}
			})
		})
	}
}

// checkJavaScript proves the browser runs (or refuses) a page's scripts as
// asked, so that the JavaScript-off run really is one.
func checkJavaScript(t *testing.T, b *browser, want bool) {
	t.Helper()
	b.open("data:text/html,<title>before</title><script>document.title='after'</script>")
	if ran := b.title() == "after"; ran != want {
		t.Fatalf("page scripts ran = %v, want %v", ran, want)
	}
	b.takeEvents()
}

// minFontPx is the smallest text we accept: 16 CSS pixels is browsers'
// default body size, and many of the people this is for read with
// difficulty.
const minFontPx = 16

// checkPage checks what every list page needs, whatever it says: want is
// a node its accessibility tree must have ("" matches any name).
func checkPage(t *testing.T, b *browser, origin string, want axNode) {
	t.Helper()
	// WCAG 3.1.1: a screen reader picks its voice by the page's language.
	var lang string
	b.eval("document.documentElement.lang", &lang)
	if !strings.HasPrefix(lang, "en") {
		t.Errorf("<html lang=%q>, want English", lang)
	}
	if b.title() == "" {
		t.Error("the page has no title")
	}

	// What a screen reader is told: one heading, and the page's control or
	// message, named.
	tree := b.accessibility()
	var headings []string
	for _, n := range tree {
		if n.Role == "heading" {
			headings = append(headings, n.Name)
		}
	}
	if !slices.Equal(headings, []string{"Better Days mailing list"}) {
		t.Errorf("headings %q, want the one Better Days mailing list", headings)
	}
	if !slices.ContainsFunc(tree, func(n axNode) bool { return n.Role == want.Role && (want.Name == "" || n.Name == want.Name) }) {
		t.Errorf("no %s named %q for a screen reader; the page's tree: %v", want.Role, want.Name, tree)
	}

	var sizes []struct {
		Tag, Text string
		Px        float64
	}
	b.eval(`Array.from(document.querySelectorAll("h1, p, button, strong"), e =>
		({tag: e.tagName, text: e.innerText, px: parseFloat(getComputedStyle(e).fontSize)}))`, &sizes)
	for _, s := range sizes {
		if s.Px < minFontPx {
			t.Errorf("<%s> %q is %gpx, want at least %dpx", strings.ToLower(s.Tag), s.Text, s.Px, minFontPx)
		}
	}
	// WCAG 1.4.10: at a phone's width, nothing needs scrolling sideways.
	// (A phone widens its window to fit a page too wide for it, so the
	// page is measured against the screen.)
	var widths []float64
	b.eval("[document.documentElement.scrollWidth, document.documentElement.clientWidth]", &widths)
	if len(widths) != 2 || widths[0] > widths[1] {
		t.Errorf("page width %v is wider than the phone's screen: it scrolls sideways", widths)
	}

	// Nothing from anywhere else: no tracker, font or script can see the
	// token in the address or the person's visit. A blocked attempt shows
	// as a Content-Security-Policy error.
	for _, e := range b.takeEvents() {
		switch e.Method {
		case "Network.requestWillBeSent":
			var p struct{ Request struct{ URL, Method string } }
			json.Unmarshal(e.Params, &p)
			if !strings.HasPrefix(p.Request.URL, origin+"/") {
				t.Errorf("the page loaded %s %s from elsewhere", p.Request.Method, p.Request.URL)
			}
		case "Log.entryAdded":
			var p struct {
				Entry struct{ Level, Source, Text, URL string }
			}
			json.Unmarshal(e.Params, &p)
			// The page's own status, 400 for a bad link, is meant.
			if p.Entry.Source == "network" && strings.Contains(p.Entry.Text, "status of 400") && strings.HasPrefix(p.Entry.URL, origin+"/list/") {
				continue
			}
			if p.Entry.Level == "error" || p.Entry.Level == "warning" {
				t.Errorf("browser console: %s %s: %s", p.Entry.Level, p.Entry.Source, p.Entry.Text)
			}
		case "Runtime.exceptionThrown":
			t.Errorf("a script failed: %s", e.Params)
		}
	}
}

// TestListPagesHeaders checks the headers that keep the pages' token to
// themselves, for each kind of page, over real HTTP.
func TestListPagesHeaders(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	srv := httptest.NewServer(newWeb(&Service{Bot: d.bot, Store: d.st}, d.bot.log).handler())
	t.Cleanup(srv.Close)
	d.send(ann, "list", "subscribe")
	join := srv.URL + regexp.MustCompile(`/list/join/[a-z0-9]+`).FindString(d.one(ann).Text)
	for _, tc := range []struct {
		name, method, url string
		code              int
	}{
		{"ask", "GET", join, http.StatusOK},
		{"bad", "GET", srv.URL + "/list/join/zzzz", http.StatusBadRequest},
		{"done", "POST", join, http.StatusOK},
	} {
		req, _ := http.NewRequest(tc.method, tc.url, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.code {
			t.Errorf("%s: %d, want %d", tc.name, res.StatusCode, tc.code)
		}
		for k, want := range map[string]string{
			// No script, frame, image, font or connection may load from
			// anywhere; inline style only; the form posts only to us.
			"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
			"Referrer-Policy":         "no-referrer",
			"Cache-Control":           "no-store",
			"Content-Type":            "text/html; charset=utf-8",
		} {
			if got := res.Header.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", tc.name, k, got, want)
			}
		}
	}
}
