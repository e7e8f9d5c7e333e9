package understand

import (
	"strings"

	"github.com/emersion/go-message/mail"
)

// Automatic says why a message was sent by a machine rather than a person,
// or returns "". Such messages are recorded and never answered: answering
// them is how mail loops start (RFC 3834 section 2).
func Automatic(h mail.Header, from string) string {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && !strings.HasPrefix(v, "no") {
		return "Auto-Submitted: " + v
	}
	switch p := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); p {
	case "bulk", "junk", "list":
		return "Precedence: " + p
	}
	for _, k := range []string{"List-Id", "List-Unsubscribe", "List-Post", "Feedback-ID",
		"X-Autoreply", "X-Autorespond", "X-MS-Exchange-Inbox-Rules-Loop"} {
		if h.Has(k) {
			return k + " header"
		}
	}
	// Exchange marks its own auto-replies with this; "All" on an ordinary
	// message is a request we honour anyway by not writing back to a robot.
	if v := h.Get("X-Auto-Response-Suppress"); strings.Contains(strings.ToLower(v), "all") || strings.Contains(strings.ToLower(v), "oof") {
		return "X-Auto-Response-Suppress: " + v
	}
	if rp := h.Get("Return-Path"); h.Has("Return-Path") && strings.Trim(strings.TrimSpace(rp), "<>") == "" {
		return "null Return-Path"
	}
	if local, _, _ := strings.Cut(from, "@"); strings.EqualFold(local, "mailer-daemon") {
		return "sender MAILER-DAEMON"
	}
	if ct, _, _ := h.ContentType(); ct == "multipart/report" {
		return "delivery report"
	}
	if s := strings.ToLower(h.Get("Subject")); strings.HasPrefix(s, "automatic reply:") || strings.HasPrefix(s, "auto:") || strings.HasPrefix(s, "out of office") {
		return "auto-reply subject"
	}
	return ""
}
