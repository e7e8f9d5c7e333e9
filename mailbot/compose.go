package mailbot

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/emersion/go-message/mail"
)

// displayName is how the bot signs its From header.
const displayName = "Better Days"

// maxReferences bounds the References header of a long thread; RFC 5322
// section 3.6.4 lets us keep the first and the latest.
const maxReferences = 12

// reply is one message the bot owes someone.
type reply struct {
	kind      string // template name
	to        string
	toName    string
	subject   string
	inReplyTo *understand.Message // the message answered, for threading; nil for a new conversation
	data      any
}

// compose renders r into a complete message ready for the outbox, with a
// Message-ID fixed now so every retry sends the same message.
func (b *Bot) compose(r reply) (store.OutMessage, error) {
	body, err := b.tpl.Render(r.kind, r.subject, r.data)
	if err != nil {
		return store.OutMessage{}, err
	}
	id := b.newMessageID()

	// go-message writes fields in the reverse of the order they are set:
	// set last what should read first.
	var h mail.Header
	// Asks Exchange not to send us out-of-office replies to our replies.
	h.Set("X-Auto-Response-Suppress", "All")
	if m := r.inReplyTo; m != nil {
		// RFC 3834 section 5: automatic responses say so, which keeps other
		// robots from answering us.
		h.Set("Auto-Submitted", "auto-replied")
		if m.MessageID != "" {
			h.SetMsgIDList("References", references(m))
			h.SetMsgIDList("In-Reply-To", []string{m.MessageID})
		}
	}
	h.Set("MIME-Version", "1.0")
	h.SetSubject(understand.OneLine(r.subject))
	h.SetAddressList("To", []*mail.Address{{Name: understand.OneLine(r.toName), Address: r.to}})
	h.SetAddressList("From", []*mail.Address{{Name: displayName, Address: b.cfg.Address}})
	h.SetMessageID(id)
	h.SetDate(b.clock.Now().In(b.cfg.TZ))

	var buf bytes.Buffer
	w, err := mail.CreateInlineWriter(&buf, h)
	if err != nil {
		return store.OutMessage{}, fmt.Errorf("compose %s: %w", r.kind, err)
	}
	for _, part := range []struct{ ctype, body string }{
		{"text/plain", body.Text},
		{"text/html", body.HTML},
	} {
		var ph mail.InlineHeader
		ph.SetContentType(part.ctype, map[string]string{"charset": "utf-8"})
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := w.CreatePart(ph)
		if err != nil {
			return store.OutMessage{}, fmt.Errorf("compose %s: %w", r.kind, err)
		}
		if _, err := pw.Write([]byte(crlf(part.body))); err != nil {
			return store.OutMessage{}, fmt.Errorf("compose %s: %w", r.kind, err)
		}
		pw.Close()
	}
	if err := w.Close(); err != nil {
		return store.OutMessage{}, fmt.Errorf("compose %s: %w", r.kind, err)
	}
	return store.OutMessage{
		Kind:      r.kind,
		MessageID: id,
		MailFrom:  b.cfg.Address,
		Rcpt:      r.to,
		Body:      buf.Bytes(),
	}, nil
}

// references continues the thread of m: its References (or, lacking them,
// In-Reply-To) followed by its own Message-ID.
func references(m *understand.Message) []string {
	refs := m.References
	if len(refs) == 0 {
		refs = m.InReplyTo
	}
	refs = append(append([]string(nil), refs...), m.MessageID)
	if len(refs) > maxReferences {
		refs = append(refs[:1:1], refs[len(refs)-maxReferences+1:]...)
	}
	return refs
}

// replySubject is "Re: " and theirs, once.
func replySubject(subject, fallback string) string {
	s := understand.OneLine(subject)
	switch {
	case s == "":
		return fallback
	case len(s) >= 3 && strings.EqualFold(s[:3], "re:"):
		return s
	default:
		return "Re: " + s
	}
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newMessageID makes a unique Message-ID in the domain of the bot's address.
func (b *Bot) newMessageID() string {
	var r [15]byte
	rand.Read(r[:])
	_, domain, _ := strings.Cut(b.cfg.Address, "@")
	return strings.ToLower(idEncoding.EncodeToString(r[:])) + "@" + domain
}

// crlf gives text the line endings of the wire (RFC 5322 section 2.3).
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}
