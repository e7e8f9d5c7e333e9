package understand

// The standard delivery report (RFC 3464, RFC 6533): its per-recipient
// fields, the addresses and status codes in them, and the diagnostic.

import (
	"bufio"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"
)

// dsnGroup is one recipient's fields from a delivery-status part.
type dsnGroup struct {
	original, final, action, status, diagnostic string
}

// readStatus reads delivery-status fields (RFC 3464 section 2): a block of
// per-message fields, then a block per recipient, blocks separated by blank
// lines. It returns how many recipients it saw, whatever became of them: a
// report that names only delayed or delivered recipients is answered by
// that, not by guessing from its text.
func (l *bounceList) readStatus(status []byte) (recipients int) {
	var g dsnGroup
	flush := func() {
		if l.addGroup(g) {
			recipients++
		}
		g = dsnGroup{}
	}
	for _, block := range fieldBlocks(status) {
		// Some generators leave out the blank line between recipients;
		// a recipient field seen twice starts the next one. Either may
		// come first: section 2.3 puts Original-Recipient first, Postfix
		// writes it second.
		fs := block.Fields()
		for fs.Next() {
			v := fs.Value()
			switch fs.Key() {
			case "Original-Recipient":
				if g.original != "" {
					flush()
				}
				g.original = v
			case "Final-Recipient":
				if g.final != "" {
					flush()
				}
				g.final = v
			case "Action":
				g.action = v
			case "Status":
				g.status = v
			case "Diagnostic-Code":
				g.diagnostic = v
			}
		}
		flush()
	}
	return recipients
}

// addGroup records a recipient group whose action is "failed" (section
// 2.3.3). A group with no action but a permanent status is taken as failed
// too: it cannot mean anything else. named is false for a group with no
// address in it: Exim names the pipe it could not deliver to
// ("|/usr/bin/…"), Sendmail a bare "@host", and the report's text then
// says who failed.
func (l *bounceList) addGroup(g dsnGroup) (named bool) {
	addr := dsnAddress(g.final)
	if addr == "" {
		addr = dsnAddress(g.original)
	}
	if addr == "" {
		return false
	}
	status := statusCode(firstWord(g.status))
	action := strings.ToLower(firstWord(g.action))
	switch {
	case action == "failed" || action == "failure" || action == "expired": // SendGrid writes "expired" for a message it gave up on
	case action == "" && strings.HasPrefix(status, "5."):
	default:
		return true
	}
	// Diagnostic-Code is "type; text" (section 2.3.6), the type "smtp"
	// or an MTA's own such as "X-Postfix".
	diag := g.diagnostic
	if typ, text, ok := strings.Cut(diag, ";"); ok && isToken(strings.TrimSpace(typ)) {
		diag = text
	}
	diag = cleanDiagnostic(diag)
	l.add(newBounce(addr, specificStatus(status, diag), diag))
	return true
}

// specificStatus is a group's status made specific by the code the
// server's own reply gives: a relay that writes no Status, or the bare
// class "5.0.0", above "550 5.1.1 <kim@…>… User unknown" passes on what
// the receiving server said, and that server knew.
func specificStatus(status, diag string) string {
	if status != "" && !strings.HasSuffix(status, ".0.0") {
		return status
	}
	if code := enhancedCode(diag); code != "" && (status == "" || code[0] == status[0]) {
		return code
	}
	return status
}

// fieldBlocks splits delivery-status text at blank lines and reads each
// block as a header. Lines that are not fields are left out, so one bad line
// costs only itself.
func fieldBlocks(b []byte) []textproto.Header {
	var blocks []textproto.Header
	var kept []string
	end := func() {
		if len(kept) > 0 {
			text := strings.Join(kept, "\r\n") + "\r\n\r\n"
			br := bufio.NewReaderSize(strings.NewReader(text), min(len(text), 4096))
			h, _ := textproto.ReadHeader(br) // a partial header is still worth reading
			blocks = append(blocks, h)
		}
		kept = kept[:0]
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, " \t\r")
		if line == "" {
			end()
			continue
		}
		if len(line) > maxBounceLine {
			line = line[:maxBounceLine]
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(kept) > 0 {
				kept = append(kept, line)
			}
		} else if isFieldLine(line) {
			kept = append(kept, line)
		}
	}
	end()
	return blocks
}

// isFieldLine says whether line starts "Name:" with a name RFC 5322 allows.
func isFieldLine(line string) bool {
	name, _, ok := strings.Cut(line, ":")
	name = strings.TrimRight(name, " \t")
	return ok && name != "" && isToken(name)
}

// isToken says whether s is printable ASCII without spaces or colons: the
// characters of a field name or a DSN type name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f || s[i] == ':' {
			return false
		}
	}
	return true
}

// dsnAddress reads "type; address" (RFC 3464 section 2.3.2). The "utf-8"
// type of RFC 6533 section 3 may write characters as \x{HEX}.
func dsnAddress(v string) string {
	typ, addr, ok := strings.Cut(v, ";")
	if !ok {
		addr = typ
	} else if strings.EqualFold(strings.TrimSpace(typ), "utf-8") {
		addr = unescapeUTF8Addr(addr)
	}
	return cleanAddress(addr)
}

// unescapeUTF8Addr decodes RFC 6533's \x{HEX} escapes; a malformed one is
// left as it is, and the address then fails the check that follows.
func unescapeUTF8Addr(s string) string {
	if !strings.Contains(s, `\x{`) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, `\x{`)
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		n, err := strconv.ParseUint(s[i+3:i+j], 16, 32)
		if err != nil || j > 9 || !utf8.ValidRune(rune(n)) {
			b.WriteString(s[:i+3])
			s = s[i+3:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteRune(rune(n))
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String()
}

// cleanAddress returns s as a lower-case address, or "" when it does not
// look like local@domain. It is deliberately simpler than RFC 5321: a
// report names the address we sent to, and we never send to a quoted local
// part.
func cleanAddress(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 254+2 || !utf8.ValidString(s) {
		return ""
	}
	s = strings.ToLower(s)
	s = strings.TrimPrefix(s, "mailto:")
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = s[1 : len(s)-1]
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at > 64 || at == len(s)-1 || len(s) > 254 {
		return ""
	}
	for _, r := range s[:at] {
		if r <= ' ' || r == 0x7f || unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`<>()[]\,;:"@`, r) {
			return ""
		}
	}
	domain := s[at+1:]
	if strings.HasPrefix(domain, "[") && strings.HasSuffix(domain, "]") {
		// RFC 5321 section 4.1.3: [192.0.2.1], [IPv6:2001:db8::1]
		lit := domain[1 : len(domain)-1]
		if lit == "" || strings.Trim(lit, "0123456789abcdefipv.:") != "" {
			return ""
		}
		return s
	}
	if strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return ""
	}
	for _, r := range domain {
		if !(r == '-' || r == '.' || r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') ||
			r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))) {
			return ""
		}
	}
	return s
}

var (
	// An enhanced status code (RFC 3463 section 2), not inside a longer
	// run of digits and dots such as an IP address.
	enhancedCodeRE = regexp.MustCompile(`(?:^|[^0-9.])([245]\.[0-9]{1,3}\.[0-9]{1,3})(?:$|[^0-9.]|\.(?:$|[^0-9]))`)
	statusRE       = regexp.MustCompile(`^[245]\.[0-9]{1,3}\.[0-9]{1,3}$`)
	// An SMTP reply code (RFC 5321 section 4.2) as servers write it in
	// their replies: "550 ", "550-", "554:" after a space, a quote or "#".
	smtpReplyRE = regexp.MustCompile(`(?:^|[\s:;'"#(\[])([245][0-5][0-9])(?:$|[ \-:])`)
)

// statusCode returns s when it is an enhanced status code, else "".
func statusCode(s string) string {
	if statusRE.MatchString(s) {
		return s
	}
	return ""
}

// enhancedCode returns the first enhanced status code in s, or "".
func enhancedCode(s string) string {
	if m := enhancedCodeRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// smtpReply returns the first SMTP reply code in s, or "".
func smtpReply(s string) string {
	if m := smtpReplyRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// permanent decides whether a failure is for good: by the status code's
// class (RFC 3463 section 3.1), else the server's reply code (RFC 5321
// section 4.2.1), else yes: the mail system has given up.
func permanent(status, diag string) bool {
	if status != "" {
		return status[0] != '4'
	}
	if code := smtpReply(diag); code != "" {
		return code[0] != '4'
	}
	return true
}

// firstWord is the value before any space or comment: "failed (bad
// mailbox)" is "failed".
func firstWord(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t("); i >= 0 {
		s = s[:i]
	}
	return s
}

// cleanDiagnostic makes a server's words fit a log line: valid UTF-8, no
// control or formatting characters (a CR, LF or bidi override would let a
// reply forge log lines or disguise itself to staff), one space between
// words, the wrappers MTAs put round the reply gone, at most maxDiagnostic
// bytes.
func cleanDiagnostic(s string) string {
	return clipDiagnostic(oneLineDiagnostic(s))
}

// oneLineDiagnostic is cleanDiagnostic short of the length limit.
func oneLineDiagnostic(s string) string {
	if len(s) > maxBounceDetail {
		s = s[:maxBounceDetail]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
	}), " ")
	low := asciiLower(s)
	switch {
	case strings.HasPrefix(low, "remote server returned"): // Exchange
		s = s[len("remote server returned"):]
	case strings.HasPrefix(low, "(reason:"): // Sendmail
		s = strings.TrimSuffix(s[len("(reason:"):], ")")
	}
	s = strings.Trim(s, " '#") // Exchange's '…' and #… ##
	return joinReplyLines(s)
}

// clipDiagnostic cuts s to maxDiagnostic bytes at a character boundary.
func clipDiagnostic(s string) string {
	if len(s) > maxDiagnostic {
		cut := maxDiagnostic
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = strings.TrimRight(s[:cut], " ")
	}
	return s
}

// joinReplyLines drops the code a multiline SMTP reply repeats on each
// line (RFC 5321 section 4.2.1): "550-5.1.1 The account 550-5.1.1 does not
// exist" is "550 5.1.1 The account does not exist".
func joinReplyLines(s string) string {
	m := replyLineRE.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	code, enh := m[1], m[2]
	rest := s[len(m[0]):]
	for _, sep := range []string{"-", " "} {
		rest = strings.ReplaceAll(rest, " "+code+sep+enh, "")
	}
	return code + " " + enh + rest
}

var replyLineRE = regexp.MustCompile(`^([245][0-9][0-9])-([245]\.[0-9]{1,3}\.[0-9]{1,3})`)
