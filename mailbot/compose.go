package mailbot

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/betterdays/mailbot/mailbot/calendar"
	"github.com/betterdays/mailbot/mailbot/desk"
	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
	"github.com/emersion/go-message/mail"
)

// maxReferences bounds the References header of a long thread; RFC 5322
// section 3.6.4 lets us keep the first and the latest.
const maxReferences = 12

// compose renders r into a complete message ready for the outbox, with a
// Message-ID fixed now so every retry sends the same message.
func (b *Bot) compose(r desk.Reply) (store.OutMessage, error) {
	// What we echo of theirs is one line and short: a subject or name of
	// any size must not grow our header past what servers accept.
	r.Subject, r.ToName, r.ReplyToName = clip(r.Subject, maxEchoSubject), clip(r.ToName, maxEchoName), clip(r.ReplyToName, maxEchoName)
	body, err := b.tpl.Render(r.Kind, r.Subject, r.Data)
	if err != nil {
		return store.OutMessage{}, err
	}
	id := b.newMessageID()

	// go-message writes fields in the reverse of the order they are set:
	// set last what should read first.
	var h mail.Header
	// Asks Exchange not to send us out-of-office replies to our replies.
	h.Set("X-Auto-Response-Suppress", "All")
	// RFC 3834 section 5: automatic messages say so, which keeps other
	// robots from answering us.
	if m := r.InReplyTo; m != nil {
		h.Set("Auto-Submitted", "auto-replied")
		if m.MessageID != "" {
			h.SetMsgIDList("References", references(m))
			h.SetMsgIDList("In-Reply-To", []string{m.MessageID})
		}
	} else {
		h.Set("Auto-Submitted", "auto-generated")
	}
	if r.ReplyTo != "" {
		h.SetAddressList("Reply-To", []*mail.Address{{Name: understand.OneLine(r.ReplyToName), Address: r.ReplyTo}})
	}
	if r.Offer != nil {
		// A reply comes back to an address that names this message, even
		// from a client that drops In-Reply-To.
		h.SetAddressList("Reply-To", []*mail.Address{{Name: desk.DisplayName, Address: plusAddress(b.cfg.Address, r.Offer.Token)}})
	}
	h.Set("MIME-Version", "1.0")
	subject := understand.OneLine(r.Subject)
	if r.Offer != nil {
		subject += " [BD-" + r.Offer.SubjectRef() + "]"
	}
	h.SetSubject(subject)
	h.SetAddressList("To", []*mail.Address{{Name: understand.OneLine(r.ToName), Address: r.To}})
	h.SetAddressList("From", []*mail.Address{{Name: desk.DisplayName, Address: b.cfg.Address}})
	h.SetMessageID(id)
	h.SetDate(b.clock.Now().In(b.cfg.TZ))

	var buf bytes.Buffer
	if err := writeBody(&buf, h, body, r.Invites, r.Files, r.Original); err != nil {
		return store.OutMessage{}, fmt.Errorf("compose %s: %w", r.Kind, err)
	}
	return store.OutMessage{
		Kind:      r.Kind,
		MessageID: id,
		MailFrom:  b.cfg.Address,
		Rcpt:      r.To,
		Body:      buf.Bytes(),
	}, nil
}

// writeBody writes the message: text and HTML as alternatives, each
// calendar object after them, and last the message passed on, if any. With
// invites the message is multipart/mixed, the shape Outlook, Gmail and
// Apple Mail all offer as an invitation to accept.
func writeBody(buf *bytes.Buffer, h mail.Header, body templates.Rendered, invites []desk.Invite, files []desk.File, original []byte) error {
	if len(invites) == 0 && len(files) == 0 && original == nil {
		w, err := mail.CreateInlineWriter(buf, h)
		if err != nil {
			return err
		}
		if err := writeAlternatives(w, body); err != nil {
			return err
		}
		return w.Close()
	}
	w, err := mail.CreateWriter(buf, h)
	if err != nil {
		return err
	}
	iw, err := w.CreateInline()
	if err != nil {
		return err
	}
	if err := writeAlternatives(iw, body); err != nil {
		return err
	}
	if err := iw.Close(); err != nil {
		return err
	}
	atts := make([]desk.File, 0, len(invites)+len(files))
	for i, inv := range invites {
		atts = append(atts, desk.File{Name: inviteName(inv.Method, i, len(invites)), ContentType: calendar.ContentType(inv.Method), Data: inv.ICS})
	}
	for _, f := range append(atts, files...) {
		var ah mail.AttachmentHeader
		ah.Set("Content-Type", f.ContentType)
		ah.SetFilename(f.Name)
		ah.Set("Content-Transfer-Encoding", "base64")
		aw, err := w.CreateAttachment(ah)
		if err != nil {
			return err
		}
		if _, err := aw.Write(f.Data); err != nil {
			return err
		}
		if err := aw.Close(); err != nil {
			return err
		}
	}
	if original != nil {
		if err := attachMessage(w, original); err != nil {
			return err
		}
	}
	return w.Close()
}

// attachMessage attaches raw as message/rfc822, so that mail programs show
// it as the email it was. RFC 2046 wants such a part unencoded, which only
// a 7-bit message with short lines can be without 8BITMIME; anything else
// goes as base64, which every program we know of still opens.
func attachMessage(w *mail.Writer, raw []byte) error {
	raw = []byte(crlf(string(raw)))
	var ah mail.AttachmentHeader
	ah.Set("Content-Type", "message/rfc822")
	ah.SetFilename("message.eml")
	if sevenBit(raw) {
		ah.Set("Content-Transfer-Encoding", "7bit")
	} else {
		ah.Set("Content-Transfer-Encoding", "base64")
	}
	aw, err := w.CreateAttachment(ah)
	if err != nil {
		return err
	}
	if _, err := aw.Write(raw); err != nil {
		return err
	}
	return aw.Close()
}

// sevenBit reports whether raw is 7-bit data in lines of at most 998
// characters (RFC 5322 section 2.1.1), with no NUL.
func sevenBit(raw []byte) bool {
	line := 0
	for _, c := range raw {
		switch {
		case c == 0 || c >= 0x80:
			return false
		case c == '\n':
			line = 0
		default:
			line++
			if line > 998+1 { // the CR before LF is counted
				return false
			}
		}
	}
	return true
}

func writeAlternatives(w *mail.InlineWriter, body templates.Rendered) error {
	for _, part := range []struct{ ctype, body string }{
		{"text/plain", body.Text},
		{"text/html", body.HTML},
	} {
		var ph mail.InlineHeader
		ph.SetContentType(part.ctype, map[string]string{"charset": "utf-8"})
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := w.CreatePart(ph)
		if err != nil {
			return err
		}
		if _, err := pw.Write([]byte(crlf(part.body))); err != nil {
			return err
		}
		if err := pw.Close(); err != nil {
			return err
		}
	}
	return nil
}

// inviteName is the attachment's file name: what a person sees, and what
// a calendar opens.
func inviteName(method calendar.Method, i, n int) string {
	name := "invite"
	if method == calendar.Cancel {
		name = "cancelled"
	}
	if n > 1 {
		name += fmt.Sprintf("-%d", i+1)
	}
	return name + ".ics"
}

// plusAddress is addr with tag after a '+' in its local part, the form
// RFC 5233 subaddressing servers deliver to addr itself.
func plusAddress(addr, tag string) string {
	local, domain, _ := strings.Cut(addr, "@")
	return local + "+" + tag + "@" + domain
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

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newMessageID makes a unique Message-ID in the domain of the bot's address.
func (b *Bot) newMessageID() string {
	_, domain, _ := strings.Cut(b.cfg.Address, "@")
	return randomToken(15) + "@" + domain
}

// randomToken is n random bytes as lower-case base32: safe in a
// Message-ID and in the local part of an address.
func randomToken(n int) string {
	r := make([]byte, n)
	rand.Read(r)
	return strings.ToLower(idEncoding.EncodeToString(r))
}

// The longest subject and name we echo, in characters: far beyond any a
// person writes, and well inside a header line once encoded.
const (
	maxEchoSubject = 200
	maxEchoName    = 100
)

// clip is s on one line, cut to n characters with an ellipsis.
func clip(s string, n int) string {
	s = understand.OneLine(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n-1])) + "…"
}

// crlf gives text the line endings of the wire (RFC 5322 section 2.3).
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}
