package mailbot

import (
	"bytes"
	"errors"
	"fmt"
	"mime/quotedprintable"
	"slices"
	"strings"

	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// copyForm is an issue's whole message made once: its header, its MIME
// structure and boundary, and its text and HTML parts rendered and
// quoted-printable encoded, with what differs from one person to the next
// left to fill in for each copy: the header fields personalFields sets,
// and the lines of the parts that carry the person's unsubscribe token.
// Every other byte is the same in every copy, and making those bytes
// again (the template, the encoding, go-message's writers) was most of
// what a copy cost.
//
// The form is made by the ordinary path, writeBody, from a made-up
// person's header and a placeholder for each part, and is checked against
// a second made-up person's copy made whole: headers, MIME structure and
// encoding stay in one place.
type copyForm struct {
	token string         // the token the form was rendered with
	parts [2][]formPiece // the text and the HTML part
	whole []formSegment  // the message, in order
	size  int            // about a copy's length, to allocate it once
}

// formPiece is a run of encoded lines that every copy shares, or one raw
// line (with its CRLF) that holds the token, encoded for each copy.
type formPiece struct {
	done []byte
	line string
}

// formSegment is a stretch of the message every copy shares (done), or
// the place of a person's header field (field), or of part part-1 (1 the
// text, 2 the HTML).
type formSegment struct {
	done  []byte
	field string
	part  int
}

// The placeholders a copy's parts are written with: quoted-printable
// leaves them as they are, so the form finds them in the message.
const (
	formText = "MAILBOT-FORM-TEXT-PART"
	formHTML = "MAILBOT-FORM-HTML-PART"
)

// personalKeys are the header fields personalFields sets.
var personalKeys = []string{"List-Unsubscribe", "To", "Message-Id"}

// newCopyForm makes is's form, or returns nil when its copies differ by
// more than the token (a template that greets people by name, say): those
// are then rendered whole, one by one.
func (b *Bot) newCopyForm(is issue) *copyForm {
	// Two made-up people with ids no one has, whose copies must differ by
	// their tokens alone.
	pa := store.Person{ID: -1, Email: "form-a@form.invalid", Name: "Formfirstnamea Z"}
	pc := store.Person{ID: -2, Email: "form-c@form.invalid", Name: "Formfirstnamec Zoë, with a name long enough to fold the To field"}
	a, tokA := b.copyData(is, pa)
	c, tokC := b.copyData(is, pc)
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
		// The part filled in for the second person must be exactly what
		// encoding their part whole gives.
		if !bytes.Equal(f.encode(nil, i, tokC), qpEncode(nil, crlf(tc))) {
			return nil
		}
	}
	const idA, idC = "form-a@form.invalid", "form-c@form.invalid"
	var model bytes.Buffer
	if err := writeBody(&model, b.copyHeader(is, pa, idA, a.LeaveURL, tokA), templates.Rendered{Text: formText, HTML: formHTML}, nil, nil, nil); err != nil {
		return nil
	}
	var own mail.Header
	b.personalFields(&own, pa, idA, a.LeaveURL, tokA)
	if err := f.cut(model.Bytes(), own); err != nil {
		return nil
	}
	// The second person's copy from the form must be the copy made whole,
	// but for the boundary, which go-message picks anew for each message.
	var theirs mail.Header
	b.personalFields(&theirs, pc, idC, c.LeaveURL, tokC)
	got, err := f.copy(nil, theirs, tokC)
	want, errW := b.wholeCopy(nil, is, pc, idC, c, tokC)
	if err != nil || errW != nil || !sameMessage(got, want) {
		return nil
	}
	return f
}

// cut makes the form's segments from model, a copy written whole with
// placeholders for the parts and own as its person's header fields.
func (f *copyForm) cut(model []byte, own mail.Header) error {
	head, _, ok := bytes.Cut(model, []byte("\r\n\r\n"))
	if !ok {
		return errors.New("no end of header")
	}
	type place struct {
		at, end int
		seg     formSegment
	}
	var places []place
	find := func(in []byte, what []byte, seg formSegment) error {
		at := bytes.Index(in, what)
		if at < 0 || bytes.Index(in[at+1:], what) >= 0 {
			return fmt.Errorf("%q is not in the message once", what)
		}
		places = append(places, place{at, at + len(what), seg})
		return nil
	}
	for _, k := range personalKeys {
		raw, err := own.Raw(k)
		if err != nil || raw == nil {
			return fmt.Errorf("header field %s: %v", k, err)
		}
		if err := find(head, raw, formSegment{field: k}); err != nil {
			return err
		}
	}
	if err := find(model, []byte(formText), formSegment{part: 1}); err != nil {
		return err
	}
	if err := find(model, []byte(formHTML), formSegment{part: 2}); err != nil {
		return err
	}
	slices.SortFunc(places, func(x, y place) int { return x.at - y.at })
	last := 0
	for _, p := range places {
		if p.at < last {
			return errors.New("placeholders overlap")
		}
		f.whole = append(f.whole, formSegment{done: model[last:p.at]}, p.seg)
		last = p.end
	}
	f.whole = append(f.whole, formSegment{done: model[last:]})
	f.size = len(model)
	for _, part := range f.parts {
		for _, p := range part {
			f.size += len(p.done) + 2*len(p.line)
		}
	}
	return nil
}

// copy appends to dst the message for a person whose header fields
// (personalFields) are in h and whose unsubscribe token is token.
func (f *copyForm) copy(dst []byte, h mail.Header, token string) ([]byte, error) {
	out := slices.Grow(dst, f.size+256)
	for _, s := range f.whole {
		switch {
		case s.field != "":
			raw, err := h.Raw(s.field)
			if err != nil {
				return nil, fmt.Errorf("header field %s: %w", s.field, err)
			}
			out = append(out, raw...)
		case s.part > 0:
			out = f.encode(out, s.part-1, token)
		default:
			out = append(out, s.done...)
		}
	}
	return out, nil
}

// sameMessage says whether a and b are the same message once b's MIME
// boundary is a's.
func sameMessage(a, b []byte) bool {
	ba, bb := boundary(a), boundary(b)
	if ba == "" || bb == "" {
		return false
	}
	return bytes.Equal(a, bytes.ReplaceAll(b, []byte(bb), []byte(ba)))
}

// boundary is msg's top-level MIME boundary, or "".
func boundary(msg []byte) string {
	e, err := gomessage.Read(bytes.NewReader(msg))
	if err != nil {
		return ""
	}
	_, params, err := e.Header.ContentType()
	if err != nil {
		return ""
	}
	return params["boundary"]
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

// qpEncode appends s quoted-printable encoded as go-message encodes a
// part (mime/quotedprintable, text mode).
func qpEncode(dst []byte, s string) []byte {
	buf := bytes.NewBuffer(dst)
	w := quotedprintable.NewWriter(buf)
	w.Write([]byte(s)) // a bytes.Buffer takes everything
	w.Close()
	return buf.Bytes()
}
