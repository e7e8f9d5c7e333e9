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
	Text       string // what they wrote, as plain text
	// Automatic names why the message came from a machine (an auto-reply,
	// a bounce, a list), or is "" for a message from a person.
	Automatic string
}

// Parse reads a raw RFC 5322 message. It never fails outright: what cannot be
// read is left empty and reported in the error, so the caller can record the
// message and still answer the person when their address is readable.
func Parse(raw []byte) (*Message, error) {
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
	text, err := bodyText(e, 0, new(int))
	if err != nil {
		problems = append(problems, fmt.Errorf("body: %w", err))
	}
	m.Text = text
	return m, errors.Join(problems...)
}

// ParseHeader reads only the header of a message, for one too large to read
// whole; size stands in for the body when making a key.
func ParseHeader(header []byte) (*Message, error) {
	m, err := Parse(header)
	m.Text = ""
	return m, err
}

func (m *Message) readHeader(h mail.Header, problems *[]error) {
	m.Header = h
	if id, err := h.MessageID(); err == nil && id != "" {
		m.MessageID = id
		m.Key = keyOf(nil, id)
	}
	if addrs, err := h.AddressList("From"); err != nil {
		*problems = append(*problems, fmt.Errorf("From: %w", err))
	} else if len(addrs) > 0 {
		m.From = strings.ToLower(addrs[0].Address)
		m.FromName = OneLine(addrs[0].Name)
	}
	if s, err := h.Subject(); err == nil {
		m.Subject = OneLine(s)
	} else {
		m.Subject = OneLine(h.Get("Subject"))
	}
	if d, err := h.Date(); err == nil {
		m.Date = d
	}
	m.InReplyTo, _ = h.MsgIDList("In-Reply-To")
	m.References, _ = h.MsgIDList("References")
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

// bodyText finds the best text in e: the first text/plain part that is not
// an attachment, else the first such text/html part turned into text.
func bodyText(e *message.Entity, depth int, parts *int) (string, error) {
	plain, html, err := findText(e, depth, parts)
	if plain != "" {
		return plain, err
	}
	if html != "" {
		return HTMLToText(html), err
	}
	return "", err
}

func findText(e *message.Entity, depth int, parts *int) (plain, html string, err error) {
	*parts++
	if depth > maxDepth || *parts > maxParts {
		return "", "", fmt.Errorf("more than %d levels or %d parts: rest ignored", maxDepth, maxParts)
	}
	if mr := e.MultipartReader(); mr != nil {
		var errs []error
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil && p == nil {
				errs = append(errs, err)
				break
			}
			pl, ht, err := findText(p, depth+1, parts)
			if err != nil {
				errs = append(errs, err)
			}
			if plain == "" {
				plain = pl
			}
			if html == "" {
				html = ht
			}
			if plain != "" || *parts > maxParts {
				break
			}
		}
		return plain, html, errors.Join(errs...)
	}
	if disp, _, _ := e.Header.ContentDisposition(); disp == "attachment" {
		return "", "", nil
	}
	ct, _, _ := e.Header.ContentType()
	if ct == "" {
		ct = "text/plain" // RFC 2045 section 5.2
	}
	if ct != "text/plain" && ct != "text/html" {
		return "", "", nil
	}
	b, err := io.ReadAll(io.LimitReader(e.Body, maxTextBytes))
	text := strings.ToValidUTF8(string(b), "\uFFFD")
	if ct == "text/plain" {
		return normaliseText(text), "", err
	}
	return "", text, err
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
	if dec, err := new(mime.WordDecoder).DecodeHeader(s); err == nil {
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
