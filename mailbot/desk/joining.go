package desk

import (
	"regexp"
	"strings"

	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// Online reports whether s happens online, by the words of its place:
// "Online (Microsoft Teams)", "Zoom". A phone or video call is a drop-in
// we make to them, with no link to send.
func Online(s store.Session) bool {
	where := strings.ToLower(s.Location)
	for _, w := range []string{"online", "teams", "zoom", "google meet", "webinar"} {
		if strings.Contains(where, w) {
			return true
		}
	}
	return false
}

// joiningLines are the session's joining details, one line each, without
// blank ones: a link, then any meeting ID or passcode.
func joiningLines(joining string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(joining, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

var webLink = regexp.MustCompile(`https?://[A-Za-z0-9._~:/?#@!$&'()*+,;=%\[\]-]+`)

// JoiningLink is the first web address in joining, for a calendar's URL;
// "" when there is none.
func JoiningLink(joining string) string {
	return strings.TrimRight(webLink.FindString(joining), ".,;)")
}

// toGo is how a message describes a booking to someone who will use it
// to get there (a confirmation, a reminder, a promotion, a change): with
// how to join, or word that it will come.
func toGo(e templates.Event, s store.Session) templates.Event {
	e.Joining = joiningLines(s.Joining)
	e.JoinLater = len(e.Joining) == 0 && Online(s)
	return e
}

// joiningSaid is the joining details on one line, for a change's "was"
// and "now".
func joiningSaid(s store.Session) string {
	if lines := joiningLines(s.Joining); len(lines) > 0 {
		return strings.Join(lines, ", ")
	}
	if Online(s) {
		return "not sent yet"
	}
	return "none needed"
}
