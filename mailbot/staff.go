package mailbot

import (
	"slices"
	"strings"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-msgauth/authres"
)

// isStaff reports whether m comes from a staff address and our own mail
// server vouches that it does. A From header alone proves nothing: anyone
// can write one.
func (b *Bot) isStaff(m *understand.Message) bool {
	return slices.Contains(b.cfg.Staff, strings.ToLower(m.From)) && authenticated(m.Header, b.cfg.AuthServID, m.From)
}

// authenticated reports whether the topmost Authentication-Results field
// (RFC 8601) was written by the server named authservID and says that the
// From address passed: DMARC for its domain, a DKIM signature of its
// domain, or SMTP AUTH as that address. Only the topmost is read, because
// a receiving server adds its own above whatever the sender wrote (and
// removes forged ones with its name, section 5).
func authenticated(h mail.Header, authservID, from string) bool {
	if authservID == "" || from == "" {
		return false
	}
	v := h.Get("Authentication-Results")
	if v == "" {
		return false
	}
	id, results, err := authres.Parse(v)
	if err != nil || !strings.EqualFold(id, authservID) {
		return false
	}
	_, domain, _ := strings.Cut(from, "@")
	for _, r := range results {
		switch r := r.(type) {
		case *authres.DMARCResult:
			if r.Value == authres.ResultPass && strings.EqualFold(r.From, domain) {
				return true
			}
		case *authres.DKIMResult:
			if r.Value == authres.ResultPass && strings.EqualFold(r.Domain, domain) {
				return true
			}
		case *authres.AuthResult:
			if r.Value == authres.ResultPass && strings.EqualFold(r.Auth, from) {
				return true
			}
		}
	}
	return false
}
