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
	// RFC 2369 and RFC 2919 list fields, and what list servers that
	// predate them write (fml's X-MLServer).
	for _, k := range []string{"List-Id", "List-Unsubscribe", "List-Post", "List-Subscribe", "List-Help", "List-Owner",
		"X-MLServer", "Feedback-ID",
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
	if mailSystemSender(h) {
		return "sender is a mail system"
	}
	if f := strings.TrimSpace(h.Get("From")); h.Has("From") && strings.Trim(f, "<> ") == "" {
		return "null From"
	}
	if local, _, _ := strings.Cut(from, "@"); noReplyLocal(local) {
		return "sender " + local
	}
	if ct, _, _ := h.ContentType(); ct == "multipart/report" {
		return "delivery report"
	}
	if s := strings.ToLower(h.Get("Subject")); strings.HasPrefix(s, "automatic reply:") || strings.HasPrefix(s, "auto reply:") || strings.HasPrefix(s, "autoreply:") || strings.HasPrefix(s, "auto:") || strings.HasPrefix(s, "out of office") {
		return "auto-reply subject"
	}
	return ""
}

// noReplyLocal says whether an address's local part says nobody reads it
// ("no-reply", "noreply", "do-not-reply"): only machines send from one,
// and an answer would go nowhere.
func noReplyLocal(local string) bool {
	switch strings.ReplaceAll(strings.ReplaceAll(strings.ToLower(local), "-", ""), "_", "") {
	case "noreply", "donotreply", "dontreply":
		return true
	}
	return false
}
