package mailbot

import (
	"bytes"
	"mime/quotedprintable"
	"strings"

	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// copyForm is an issue's text and HTML parts rendered and quoted-printable
// encoded once, with the lines that carry a person's unsubscribe token left
// to fill in for each copy. Every other byte of those parts is the same in
// every copy, and rendering and encoding them was most of what a copy cost.
//
// A copy is made by the ordinary path, writeBody, with a placeholder for
// each part, and the placeholders are then replaced by the form: headers,
// MIME structure and encoding stay in one place.
type copyForm struct {
	token string         // the token the form was rendered with
	parts [2][]formPiece // the text and the HTML part
}

// formPiece is a run of encoded lines that every copy shares, or one raw
// line (with its CRLF) that holds the token, encoded for each copy.
type formPiece struct {
	done []byte
	line string
}

// The placeholders a copy's parts are written with: quoted-printable
// leaves them as they are, so fill finds them in the message.
const (
	formText = "MAILBOT-FORM-TEXT-PART"
	formHTML = "MAILBOT-FORM-HTML-PART"
)

// newCopyForm makes is's form, or returns nil when its copies differ by
// more than the token (a template that greets people by name, say): those
// are then rendered whole, one by one.
func (b *Bot) newCopyForm(is issue) *copyForm {
	// Two made-up people with ids no one has, whose copies must differ by
	// their tokens alone.
	a, tokA := b.copyData(is, store.Person{ID: -1, Name: "Formfirstnamea Z"})
	c, tokC := b.copyData(is, store.Person{ID: -2, Name: "Formfirstnamec Z"})
	ra, errA := b.tpl.Render("newsletter", is.n.Subject, a)
	rc, errC := b.tpl.Render("newsletter", is.n.Subject, c)
	if errA != nil || errC != nil {
		return nil
	}
	f := &copyForm{token: tokA}
	for i, pair := range [2][2]string{{ra.Text, rc.Text}, {ra.HTML, rc.HTML}} {
		ta, tc := pair[0], pair[1]
		if strings.Contains(ta, a.Name) || strings.ReplaceAll(ta, tokA, tokC) != tc {
			return nil
		}
		f.parts[i] = formPieces(crlf(ta), tokA)
		// The form filled in for the second person must be exactly what
		// encoding their part whole gives.
		if !bytes.Equal(f.encode(nil, i, tokC), qpEncode(nil, crlf(tc))) {
			return nil
		}
	}
	return f
}

// formPieces cuts raw into lines and encodes each run of lines without
// token. Quoted-printable starts afresh after every line break, so the
// runs encode alone to what they would within the whole.
func formPieces(raw, token string) []formPiece {
	var pieces []formPiece
	var run strings.Builder
	flush := func() {
		if run.Len() > 0 {
			pieces = append(pieces, formPiece{done: qpEncode(nil, run.String())})
			run.Reset()
		}
	}
	for raw != "" {
		line, rest, found := strings.Cut(raw, "\r\n")
		if found {
			line += "\r\n"
		}
		raw = rest
		if strings.Contains(line, token) {
			flush()
			pieces = append(pieces, formPiece{line: line})
		} else {
			run.WriteString(line)
		}
	}
	flush()
	return pieces
}

// encode appends part i, encoded, with token in place of the form's.
func (f *copyForm) encode(dst []byte, i int, token string) []byte {
	for _, p := range f.parts[i] {
		if p.line == "" {
			dst = append(dst, p.done...)
		} else {
			dst = qpEncode(dst, strings.ReplaceAll(p.line, f.token, token))
		}
	}
	return dst
}

// render is a copy's parts for writeBody: the placeholders, or with no
// form the parts themselves.
func (f *copyForm) render(b *Bot, is issue, data templates.Newsletter) (templates.Rendered, error) {
	if f == nil {
		return b.tpl.Render("newsletter", is.n.Subject, data)
	}
	return templates.Rendered{Text: formText, HTML: formHTML}, nil
}

// fill replaces the placeholders in msg, written by writeBody from render's
// parts, with the parts for token.
func (f *copyForm) fill(msg []byte, token string) []byte {
	if f == nil {
		return msg
	}
	t := bytes.Index(msg, []byte(formText))
	h := bytes.Index(msg, []byte(formHTML))
	if t < 0 || h < t {
		return msg // cannot happen: writeBody writes text, then HTML
	}
	out := make([]byte, 0, len(msg)+f.size())
	out = append(out, msg[:t]...)
	out = f.encode(out, 0, token)
	out = append(out, msg[t+len(formText):h]...)
	out = f.encode(out, 1, token)
	return append(out, msg[h+len(formHTML):]...)
}

// size is about the bytes the parts add to a copy, to allocate it once.
func (f *copyForm) size() int {
	n := 0
	for _, part := range f.parts {
		for _, p := range part {
			n += len(p.done) + 2*len(p.line)
		}
	}
	return n
}

// qpEncode appends s quoted-printable encoded as go-message encodes a
// part (mime/quotedprintable, text mode).
func qpEncode(dst []byte, s string) []byte {
	buf := bytes.NewBuffer(dst)
	w := quotedprintable.NewWriter(buf)
	w.Write([]byte(s)) // a bytes.Buffer takes everything
	w.Close()
	return buf.Bytes()
}
