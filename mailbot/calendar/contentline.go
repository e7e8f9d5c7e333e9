package calendar

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxLine is the longest a physical content line may be, in octets, not
// counting its CRLF (RFC 5545 §3.1).
const maxLine = 75

// param is one property parameter. When writing, value is ready to go on
// the line (see paramValue); when reading, it is the value with any quotes
// removed, one entry per value of a multi-valued parameter.
type param struct{ name, value string }

// lineBuffer collects content lines, folded and CRLF-terminated.
type lineBuffer struct{ bytes.Buffer }

// prop writes one property. value must already be in its final form
// (escapeText for TEXT), and so must the parameter values.
func (b *lineBuffer) prop(name string, params []param, value string) {
	var l strings.Builder
	l.WriteString(name)
	for _, p := range params {
		l.WriteByte(';')
		l.WriteString(p.name)
		l.WriteByte('=')
		l.WriteString(p.value)
	}
	l.WriteByte(':')
	l.WriteString(value)
	b.fold(l.String())
}

// fold writes line as physical lines of at most maxLine octets, each
// continuation starting with a space that counts towards the limit
// (RFC 5545 §3.1). It cuts only before the first byte of a UTF-8 sequence:
// the RFC allows cutting inside one, but several importers then show
// replacement characters.
func (b *lineBuffer) fold(line string) {
	limit := maxLine
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		if cut == 0 { // not UTF-8 after all; never loop forever
			cut = limit
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		limit = maxLine - 1
	}
	b.WriteString(line)
	b.WriteString("\r\n")
}

// isControl reports the characters RFC 5545 §3.1 calls CONTROL, plus the C1
// range, which some importers also treat as line breaks.
func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)
}

// cleanText makes s fit for a TEXT value: valid UTF-8, every line break a
// single "\n", and no other control character but HTAB.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r':
			return '\n'
		case r == '\n', r == '\t':
			return r
		case isControl(r):
			return -1
		}
		return r
	}, s)
}

// escapeText encodes s as a TEXT value (RFC 5545 §3.3.11). A line break
// becomes the two characters `\n`, so nothing in s can start a new
// property.
func escapeText(s string) string {
	var b strings.Builder
	for _, r := range cleanText(s) {
		switch r {
		case '\\', ';', ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unescapeText decodes a TEXT value. It is lenient: a backslash before any
// other character stands for that character, as Outlook writes `\:`.
func unescapeText(s string) string {
	if !strings.Contains(s, `\`) {
		return cleanText(s)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return cleanText(b.String())
}

// cleanParam makes s fit inside a parameter value: a quoted-string may hold
// anything but CONTROL and DQUOTE (RFC 5545 §3.1). DQUOTE is dropped and
// line breaks and tabs become spaces. (RFC 6868's ^-encoding is not used:
// Outlook does not decode it.)
func cleanParam(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '"':
			return -1
		case r == '\r', r == '\n', r == '\t':
			return ' '
		case isControl(r):
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// paramValue is s as a parameter value, quoted when it holds a character
// that would otherwise end the value.
func paramValue(s string) string {
	s = cleanParam(s)
	if strings.ContainsAny(s, ":;,") {
		return `"` + s + `"`
	}
	return s
}

// A contentLine is one unfolded property as read.
type contentLine struct {
	num    int    // physical line it starts on, for error messages
	name   string // upper-case
	params []param
	value  string // raw: not unescaped
}

// param returns the first value of the named (upper-case) parameter.
func (l *contentLine) param(name string) string {
	for _, p := range l.params {
		if p.name == name {
			return p.value
		}
	}
	return ""
}

// unfold splits data into logical lines: a line that starts with a space
// or tab continues the one before, less that one character (RFC 5545 §3.1).
// It accepts LF as well as CRLF, and skips blank lines.
func unfold(data string) []contentLine {
	var out []contentLine
	var cur []byte
	curNum := 0
	flush := func() {
		if len(cur) > 0 {
			out = append(out, contentLine{num: curNum, value: string(cur)})
		}
		cur = cur[:0]
	}
	for num := 1; len(data) > 0; num++ {
		line := data
		if i := strings.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = ""
		}
		line = strings.TrimSuffix(line, "\r")
		if line != "" && (line[0] == ' ' || line[0] == '\t') && len(cur) > 0 {
			cur = append(cur, line[1:]...)
			continue
		}
		flush()
		cur = append(cur, line...)
		curNum = num
	}
	flush()
	return out
}

func isNameChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
}

// parseContentLine splits an unfolded line into name, parameters and value:
// name *(";" param) ":" value, where a parameter value is a quoted-string or
// runs to the next ',', ';' or ':' (RFC 5545 §3.1).
func parseContentLine(s string, num int) (contentLine, error) {
	l := contentLine{num: num}
	i := 0
	for i < len(s) && isNameChar(s[i]) {
		i++
	}
	if i == 0 {
		return l, errors.New("no property name")
	}
	l.name = strings.ToUpper(s[:i])
	for {
		if i >= len(s) {
			return l, fmt.Errorf("%s: no ':' before the value", l.name)
		}
		switch s[i] {
		case ':':
			l.value = s[i+1:]
			return l, nil
		case ';':
			i++
			start := i
			for i < len(s) && isNameChar(s[i]) {
				i++
			}
			if i == start || i >= len(s) || s[i] != '=' {
				return l, fmt.Errorf("%s: malformed parameter", l.name)
			}
			name := strings.ToUpper(s[start:i])
			i++
			for {
				var v string
				if i < len(s) && s[i] == '"' {
					end := strings.IndexByte(s[i+1:], '"')
					if end < 0 {
						return l, fmt.Errorf("%s: unterminated quoted %s parameter", l.name, name)
					}
					v = s[i+1 : i+1+end]
					i += end + 2
				} else {
					start := i
					for i < len(s) && s[i] != ',' && s[i] != ';' && s[i] != ':' && s[i] != '"' {
						i++
					}
					v = s[start:i]
				}
				l.params = append(l.params, param{name, v})
				if i < len(s) && s[i] == ',' {
					i++
					continue
				}
				break
			}
		default:
			return l, fmt.Errorf("%s: unexpected %q in the parameters", l.name, s[i])
		}
	}
}
