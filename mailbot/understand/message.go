package understand

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/address"
	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // windows-1252, ISO-8859-*, ISO-2022-JP and the rest
	"github.com/emersion/go-message/mail"
)

// Limits on what Parse will walk, so a hostile message costs bounded time
// and memory whatever its shape.
const (
	maxDepth     = 16
	maxParts     = 200
	maxTextBytes = 256 << 10
	// A forward as attachment is parsed as a message of its own; one
	// inside that is parsed too, but no deeper.
	maxForwardDepth  = 2
	maxAttachedBytes = 32 << 20
	// An iTIP reply is a few kilobytes; the calendar parser refuses more
	// than this anyway.
	maxCalendarBytes = 1 << 20
	// Nobody writes a subject longer than a line; every pattern the bot
	// looks for reads it, so the rest of a longer one is not kept.
	maxSubjectBytes = 998
)

// Message is what the bot knows about one email.
type Message struct {
	MessageID  string // without angle brackets; "" when missing
	Key        string // Message-ID, or a digest of the bytes when missing
	From       string // the sender's address; "" when missing or unreadable
	FromName   string // their display name, RFC 2047 decoded
	Subject    string // RFC 2047 decoded, one line
	Date       time.Time
	InReplyTo  []string // Message-IDs, without angle brackets
	References []string
	Header     mail.Header
	Text       string // the body as plain text, quoted history and all
	// Fresh is what the person wrote in this message: Text without the
	// quoted history, signature and sign-off (see Fresh).
	Fresh string
	// Signature is what Fresh cut from the end of the person's words as
	// their sign-off and signature, "" when none.
	Signature string
	// Forwarded is the message forwarded in this one, or nil when this is
	// not a forward (see forward.go for the rule).
	Forwarded *Forward
	// Calendar is the first calendar object in the message (text/calendar,
	// or an attached .ics): how a calendar says someone accepted or
	// declined our invitation (iTIP REPLY, RFC 6047). Nil when none.
	Calendar []byte
	// Automatic names why the message came from a machine (an auto-reply,
	// a bounce, a list), or is "" for a message from a person.
	Automatic string
}

// Parse reads a raw RFC 5322 message. It never fails outright: what cannot be
// read is left empty and reported in the error, so the caller can record the
// message and still answer the person when their address is readable.
func Parse(raw []byte) (*Message, error) {
	return parse(raw, 0)
}

// parse is Parse for a message found depth forwards deep.
func parse(raw []byte, depth int) (*Message, error) {
	m := &Message{Key: keyOf(raw, "")}
	e, err := message.Read(bytes.NewReader(raw))
	if e == nil {
		return m, fmt.Errorf("unreadable header: %w", err)
	}
	var problems []error
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		problems = append(problems, err)
	}
	m.readHeader(mail.Header{Header: e.Header}, &problems)
	m.Automatic = Automatic(m.Header, m.From)
	w := newWalker()
	m.Text = w.bodyText(e)
	if err := errors.Join(w.errs...); err != nil {
		problems = append(problems, fmt.Errorf("body: %w", err))
	}
	m.Fresh, m.Signature = freshAndSignature(m.Text, m.FromName)
	m.Calendar = w.calendar
	if w.attached != nil && depth < maxForwardDepth {
		inner, err := parse(w.attached, depth+1)
		if err != nil {
			problems = append(problems, fmt.Errorf("attached message: %w", err))
		}
		m.Forwarded = attachedForward(inner, m.Fresh)
	} else {
		m.Forwarded = inlineForward(m.Text, m.Subject, m.FromName)
	}
	return m, errors.Join(problems...)
}

// ParseHeader reads only the header of a message, for one too large to read
// whole; size stands in for the body when making a key.
func ParseHeader(header []byte) (*Message, error) {
	m, err := Parse(header)
	m.Text, m.Fresh, m.Forwarded, m.Calendar = "", "", nil, nil
	return m, err
}

func (m *Message) readHeader(h mail.Header, problems *[]error) {
	m.Header = h
	if id, err := h.MessageID(); err == nil && id != "" {
		m.MessageID = id
		m.Key = keyOf(nil, id)
	}
	if addrs, err := h.AddressList("From"); err != nil {
		if a := loneAngleAddr(h.Get("From")); a != nil {
			m.From, m.FromName = address.Canonical(a.Address), OneLine(a.Name)
		} else {
			*problems = append(*problems, fmt.Errorf("From: %w", err))
		}
	} else if len(addrs) > 0 {
		m.From = address.Canonical(addrs[0].Address)
		m.FromName = OneLine(addrs[0].Name)
	}
	if s, err := h.Subject(); err == nil {
		m.Subject = OneLine(s)
	} else {
		m.Subject = OneLine(h.Get("Subject"))
	}
	if len(m.Subject) > maxSubjectBytes {
		m.Subject = strings.ToValidUTF8(m.Subject[:maxSubjectBytes], "")
	}
	if d, err := h.Date(); err == nil {
		m.Date = d
	}
	m.InReplyTo, _ = h.MsgIDList("In-Reply-To")
	m.References, _ = h.MsgIDList("References")
}

// loneAngleAddr reads a From whose display name breaks the grammar, as
// some systems write it ("Manager, Oakfield Day Centre <manager@…>", a
// comma unquoted), the way mail clients show it: the one address in angle
// brackets, the rest its name. More than one bracket, or none, is not read:
// whose mail it is must not be a guess.
func loneAngleAddr(v string) *mail.Address {
	if strings.Count(v, "<") != 1 || strings.Count(v, ">") != 1 {
		return nil
	}
	name, rest, _ := strings.Cut(v, "<")
	addr, tail, _ := strings.Cut(rest, ">")
	if strings.TrimSpace(tail) != "" {
		return nil
	}
	a, err := mail.ParseAddress("<" + addr + ">")
	if err != nil {
		return nil
	}
	a.Name = strings.Trim(strings.TrimSpace(name), `"`)
	return a
}

// keyOf is how a message is recognised when it comes again: its Message-ID,
// or for a message without one, a digest of its bytes.
func keyOf(raw []byte, messageID string) string {
	if messageID != "" {
		return messageID
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:16])
}

// walker reads a message body once, front to back, gathering the text the
// person wrote and the first attached message (a forward as attachment).
// Its limits keep the cost bounded whatever the message's shape.
type walker struct {
	parts     int
	plainLeft int64 // bytes of text/plain still to be read
	htmlLeft  int64
	attached  []byte // the first message/rfc822 part outside a report
	calendar  []byte // the first text/calendar part outside a report
	tooBig    bool   // a limit was reached and reported
	broken    bool   // reading stopped short: the rest of the stream is unreadable
	errs      []error
}

func newWalker() *walker {
	return &walker{plainLeft: maxTextBytes, htmlLeft: maxTextBytes}
}

// bodyText finds the best text in e: the text/plain the person wrote,
// else their text/html turned into text.
func (w *walker) bodyText(e *message.Entity) string {
	plain, html := w.walk(e, 0, false, false)
	if plain != "" {
		return plain
	}
	if html != "" {
		return HTMLToText(html)
	}
	return ""
}

// walk returns the plain and HTML text of e. In multipart/alternative and
// multipart/related only the first part that has each kind counts (RFC 2046
// section 5.1.4: alternatives say the same thing; RFC 2387: the first part
// of related is the root, the rest are its pictures). In multipart/mixed
// and the rest every inline text part counts, in order (section 5.1.3):
// Apple Mail sends text, picture, text when a picture sits mid-message.
func (w *walker) walk(e *message.Entity, depth int, inPart, inReport bool) (plain, html string) {
	w.parts++
	if depth > maxDepth || w.parts > maxParts {
		if !w.tooBig {
			w.tooBig = true
			w.errs = append(w.errs, fmt.Errorf("more than %d levels or %d parts: rest ignored", maxDepth, maxParts))
		}
		return "", ""
	}
	ct, params, _ := e.Header.ContentType()
	if mr := e.MultipartReader(); mr != nil {
		sub := strings.TrimPrefix(ct, "multipart/")
		first := sub == "alternative" || sub == "related"
		report := inReport || sub == "report"
		var plains, htmls []string
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil && p == nil {
				w.errs = append(w.errs, err)
				break
			}
			pl, ht := w.walk(p, depth+1, true, report)
			if pl != "" && (!first || len(plains) == 0) {
				plains = append(plains, pl)
			}
			if ht != "" && (!first || len(htmls) == 0) {
				htmls = append(htmls, ht)
			}
			if w.parts > maxParts || w.broken {
				break
			}
		}
		return strings.Join(plains, "\n\n"), strings.Join(htmls, "\n")
	}
	if ct == "message/rfc822" || ct == "message/global" {
		// RFC 2046 section 5.2.1, RFC 6532 section 3.7: a whole message,
		// forwarded as an attachment. A delivery report carries the bounced
		// message the same way; that is not a forward.
		if !inReport && w.attached == nil {
			b, err := io.ReadAll(io.LimitReader(e.Body, maxAttachedBytes))
			if err != nil {
				w.errs = append(w.errs, fmt.Errorf("attached message: %w", err))
				w.broken = true
			}
			w.attached = b
		}
		return "", ""
	}
	if (ct == "text/calendar" || ct == "application/ics") && !inReport {
		if w.calendar == nil {
			b, err := io.ReadAll(io.LimitReader(e.Body, maxCalendarBytes))
			if err != nil {
				w.errs = append(w.errs, fmt.Errorf("calendar part: %w", err))
				w.broken = true
			}
			w.calendar = b
		}
		return "", ""
	}
	// A single-part message's one part is its body, whatever its
	// Content-Disposition says.
	if inPart && isAttachment(e.Header, params) {
		return "", ""
	}
	if ct == "" {
		ct = "text/plain" // RFC 2045 section 5.2
	}
	if ct != "text/plain" && ct != "text/html" {
		return "", ""
	}
	left := &w.plainLeft
	if ct == "text/html" {
		left = &w.htmlLeft
	}
	if *left <= 0 {
		return "", ""
	}
	b, err := io.ReadAll(io.LimitReader(e.Body, *left))
	*left -= int64(len(b))
	if err != nil {
		w.errs = append(w.errs, err)
		w.broken = true
	}
	text := strings.ToValidUTF8(string(b), "\uFFFD")
	if ct == "text/html" {
		return "", text
	}
	if strings.EqualFold(params["format"], "flowed") {
		text = unflow(text, strings.EqualFold(params["delsp"], "yes"))
	}
	return normaliseText(text), ""
}

// isAttachment says whether a part is a file rather than the message's
// text: marked as an attachment, or inline but named, as Apple Mail sends a
// .txt file (RFC 2183 section 2.3; the older "name" Content-Type parameter
// does the same job).
func isAttachment(h message.Header, ctParams map[string]string) bool {
	disp, dparams, _ := h.ContentDisposition()
	if disp == "attachment" {
		return true
	}
	return dparams["filename"] != "" || ctParams["name"] != ""
}

// normaliseText gives text one kind of line ending and no trailing spaces.
func normaliseText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// OneLine makes a header value safe to show or reuse: decoded, with control
// characters (a CR or LF smuggled in an encoded word) turned into spaces.
func OneLine(s string) string {
	dec := &mime.WordDecoder{CharsetReader: message.CharsetReader}
	if dec, err := dec.DecodeHeader(s); err == nil {
		s = dec
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
