package mailbot

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/betterdays/mailbot/mailbot/calendar"
)

// get fetches url: the status, the body and the header.
func get(t *testing.T, c *http.Client, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

// TestPublicPages: what's on, its calendar feed and past newsletters, over
// real HTTP from the server as the bot runs it.
func TestPublicPages(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	base, c := serveWeb(t, webFor(d, InboxStatus{}))
	d.timetable("full,session,Gardening chat,2027-06-25 10:00,2027-06-25 11:00,1,The library,Seeds & swaps <b>\n")
	d.send(mary, "book", "book the gardening chat")
	d.one(mary)
	if _, _, err := d.bot.Withdraw(context.Background(), "bd-2027-02", "ill"); err != nil {
		t.Fatal(err)
	}

	code, page, h := get(t, c, base+"/sessions")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("/sessions: %d %v", code, h)
	}
	for _, want := range []string{
		"Better Days: what makes a good day?", "Tuesday 22 June 2027, 10am to 11am", "30 places left",
		"Gardening chat", "Full: you can join the waiting list", "Seeds &amp; swaps &lt;b&gt;",
		`href="mailto:` + botAddress + `?subject=Book%3A%20Learning%20new%20skills%2C%20Tuesday%206%20July%202027%2C%2010am%20to%2011am"`,
		"7 times free for a one-to-one", `href="http://127.0.0.1:8080/sessions.ics"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("/sessions lacks %q", want)
		}
	}
	if strings.Contains(page, "Promoting independence") || strings.Contains(page, "<script") || strings.Contains(page, mary) {
		t.Error("/sessions shows a withdrawn session, a script, or a person")
	}

	code, feed, h := get(t, c, base+"/sessions.ics")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/calendar") {
		t.Fatalf("/sessions.ics: %d %v", code, h)
	}
	obj, err := calendar.Parse(strings.NewReader(feed))
	if err != nil {
		t.Fatalf("feed does not parse: %v", err)
	}
	if obj.Method != "PUBLISH" || len(obj.Events) != 9 { // 9 demo sessions, less one withdrawn, and the gardening chat
		t.Fatalf("feed: METHOD %q with %d events, want PUBLISH and 9", obj.Method, len(obj.Events))
	}
	uids := map[string]bool{}
	for _, ev := range obj.Events {
		uids[ev.UID] = true
		if len(ev.Attendees) != 0 || !strings.Contains(ev.Description, "To book, email "+botAddress) {
			t.Errorf("feed event %q: attendees %v, description %q", ev.UID, ev.Attendees, ev.Description)
		}
	}
	if !uids["session-bd-2027-01@localhost"] || uids["session-bd-2027-02@localhost"] {
		t.Errorf("feed UIDs %v: want each session's own, without the withdrawn one", uids)
	}
	// The same UIDs next time, so subscribed calendars update, not add.
	_, again, _ := get(t, c, base+"/sessions.ics")
	obj2, _ := calendar.Parse(strings.NewReader(again))
	for i, ev := range obj2.Events {
		if ev.UID != obj.Events[i].UID {
			t.Errorf("UID %d changed between fetches: %q then %q", i, obj.Events[i].UID, ev.UID)
		}
	}

	// Newsletters: none, then one, without anyone's leave link.
	if code, page, _ := get(t, c, base+"/newsletters"); code != 200 || !strings.Contains(page, "No newsletters have been sent yet.") {
		t.Errorf("/newsletters before any: %d", code)
	}
	d.send(mary, "join", "please add me to your mailing list")
	d.reply(mary, d.one(mary), "yes")
	d.one(mary)
	d.newsletter("Summer news", "# Hello all\n\nThe **walk** is on.")
	_, page, _ = get(t, c, base+"/newsletters")
	if !strings.Contains(page, "Summer news") || !strings.Contains(page, `href="http://127.0.0.1:8080/newsletters/1"`) {
		t.Fatalf("/newsletters lists no Summer news:\n%s", page)
	}
	code, page, _ = get(t, c, base+"/newsletters/1")
	if code != 200 || !strings.Contains(page, "<strong>walk</strong>") || strings.Contains(page, "/list/leave/") || strings.Contains(page, mary) {
		t.Errorf("/newsletters/1: %d, want the issue without a leave link:\n%s", code, page)
	}
	for _, bad := range []string{"/newsletters/2", "/newsletters/x", "/newsletters/99999999999999999999"} {
		if code, _, _ := get(t, c, base+bad); code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", bad, code)
		}
	}
}
