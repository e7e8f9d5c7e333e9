package understand

// Amazon SES's bounce notifications, which SNS delivers by email as a
// JSON document rather than a delivery report
// (https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html).

import (
	"encoding/json"
	"strings"
)

// sesNotification is the part of an SES notification a bounce is read
// from.
type sesNotification struct {
	Message          string `json:"Message"` // SNS's own envelope ("Type": "Notification"): the notification, as a JSON string
	NotificationType string `json:"notificationType"`
	Bounce           struct {
		BounceType        string `json:"bounceType"` // Permanent, Transient or Undetermined
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			Action         string `json:"action"`
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
}

// readSES reads a message's text as an SES bounce notification: each
// bounced recipient is a status group as a delivery report would give
// it. It returns how many recipients it named; 0 for any other text.
func (l *bounceList) readSES(text string) (named int) {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, "{") || !strings.Contains(text, "notificationType") {
		return 0
	}
	// A relay that cuts lines over SMTP's length limit (RFC 5321 section
	// 4.5.3.1.6) marks each cut Sendmail's way, "!" and a newline and a
	// space, inside the one long line the document is.
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r", ""), "!\n ", "")
	var n sesNotification
	// The document is followed by SNS's own words about unsubscribing:
	// the decoder reads the one value and stops.
	if err := json.NewDecoder(strings.NewReader(text)).Decode(&n); err != nil {
		return 0
	}
	if n.NotificationType == "" && n.Message != "" {
		if err := json.Unmarshal([]byte(n.Message), &n); err != nil {
			return 0
		}
	}
	if n.NotificationType != "Bounce" {
		return 0
	}
	for _, r := range n.Bounce.BouncedRecipients {
		action := r.Action
		if action == "" && n.Bounce.BounceType == "Permanent" {
			action = "failed"
		}
		if l.addGroup(dsnGroup{final: r.EmailAddress, action: action, status: r.Status, diagnostic: r.DiagnosticCode}) {
			named++
		}
	}
	return named
}
