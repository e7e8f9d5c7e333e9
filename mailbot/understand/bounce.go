package understand

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// Limits on what ReadBounce will do with one message. A real bounce is a few
// kilobytes of report plus the returned message; nothing past these is worth
// reading to learn who failed, and a hostile message costs no more.
const (
	maxBounceDepth  = 8
	maxBounceParts  = 64
	maxBounceText   = 256 << 10 // each of: status fields, human text, returned header
	maxBounces      = 100
	maxDiagnostic   = 200
	maxBounceLine   = 1000 // RFC 5321 section 4.5.3.1.6; longer lines are cut
	maxBounceDetail = 4 << 10
	maxMessageID    = 998 // RFC 5322 section 2.1.1: no line is longer
)

// Bounce is one recipient a delivery report says we could not reach.
type Bounce struct {
	Recipient  string // the address that failed, lower case ("" never appears in a returned Report)
	Status     string // enhanced status code as written, e.g. "5.1.1"; "" when the report gives none (then Hard is decided from the text / SMTP code)
	Hard       bool   // permanent: 5.x.x, or a 5yz SMTP reply, or Action: failed with no status
	Diagnostic string // the server's words, one line, at most 200 bytes, for logs and staff
}

// Report is what a delivery report says.
type Report struct {
	Bounces []Bounce // failures only: "delayed", "delivered", "relayed", "expanded" recipients are left out
	// MessageID is the Message-ID (no angle brackets) of the message that bounced, taken from the
	// returned message or headers (text/rfc822-headers or message/rfc822 part, or a quoted
	// "Message-ID:" line in a non-standard bounce); "" when the report does not show it.
	MessageID string
}

// ReadBounce reads raw (a whole RFC 5322 message) as a delivery report. ok is
// true only when at least one recipient failed: an ordinary message, an
// auto-reply, a delay warning or a success notice gives ok=false.
//
// A standard report (RFC 3464, and RFC 6533 for internationalised mail) is
// read from its delivery-status part and nothing else, so its text cannot
// contradict it. A message without one is read as a non-standard bounce only
// when its sender or subject says a mail system wrote it; then the failed
// recipients are found by the texts Exchange, Gmail, Postfix, Sendmail, Exim,
// qmail and Yahoo are known to write.
//
// Anyone can send a message that looks like a bounce. Before acting on one,
// check that MessageID is a message we sent to that recipient.
func ReadBounce(raw []byte) (r Report, ok bool) {
	e, _ := message.Read(bytes.NewReader(raw))
	if e == nil {
		return Report{}, false // no readable header: not a report, whoever sent it
	}
	h := mail.Header{Header: e.Header}
	rr := &reportReader{statusLeft: maxBounceText, textLeft: maxBounceText, htmlLeft: maxBounceText}
	rr.walk(e, 0)

	var l bounceList
	text := rr.text.String()
	if text == "" && rr.html != "" {
		text = HTMLToText(rr.html)
	}
	if l.readStatus(rr.status) == 0 && looksLikeBounce(h) {
		l.readText(text, asciiLower(OneLine(h.Get("Subject"))))
	}
	if len(l.bounces) == 0 {
		return Report{}, false
	}
	r.Bounces = l.bounces
	r.MessageID = returnedMessageID(rr.returned)
	if r.MessageID == "" {
		r.MessageID = quotedMessageID(text)
	}
	return r, true
}

// reportReader walks a report's MIME tree once, keeping the parts a bounce
// is read from.
type reportReader struct {
	parts      int
	status     []byte          // every delivery-status part, one after another
	text       strings.Builder // the human-readable text/plain parts
	html       string          // the first text/html part, for a report with no plain text
	returned   []byte          // the first returned message or header
	statusLeft int64
	textLeft   int64
	htmlLeft   int64
	broken     bool // the stream failed: what follows cannot be read
}

func (rr *reportReader) walk(e *message.Entity, depth int) {
	rr.parts++
	if depth > maxBounceDepth || rr.parts > maxBounceParts || rr.broken {
		return
	}
	if mr := e.MultipartReader(); mr != nil {
		for rr.parts <= maxBounceParts && !rr.broken {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) || (err != nil && p == nil) {
				return
			}
			rr.walk(p, depth+1)
		}
		return
	}
	ct, _, _ := e.Header.ContentType()
	switch ct {
	case "message/delivery-status", "message/global-delivery-status": // RFC 3464, RFC 6533
		b := rr.read(e.Body, &rr.statusLeft)
		rr.status = append(append(rr.status, b...), "\n\n"...)
	case "text/rfc822-headers", "message/rfc822", "message/global", "message/global-headers":
		// RFC 6522 section 4, RFC 6533 section 6: the returned message, or
		// only its header. The first one is the message that bounced; it is
		// never walked into, so a report inside it is not read as ours.
		if rr.returned == nil {
			left := int64(maxBounceText)
			rr.returned = rr.read(e.Body, &left)
		}
	case "", "text/plain": // RFC 2045 section 5.2: no type is text/plain
		if b := rr.read(e.Body, &rr.textLeft); len(b) > 0 {
			rr.text.Write(b)
			rr.text.WriteString("\n\n")
		}
	case "text/html":
		if rr.html == "" {
			rr.html = string(rr.read(e.Body, &rr.htmlLeft))
		}
	}
}

// read reads at most *left bytes of r and takes them off *left.
func (rr *reportReader) read(r io.Reader, left *int64) []byte {
	if *left <= 0 {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(r, *left))
	*left -= int64(len(b))
	if err != nil {
		rr.broken = true
	}
	return b
}

// bounceList gathers failed recipients, one entry per address, in the order
// the report names them.
type bounceList struct {
	bounces []Bounce
}

// index returns where addr is in the list, or -1.
func (l *bounceList) index(addr string) int {
	for i, b := range l.bounces {
		if b.Recipient == addr {
			return i
		}
	}
	return -1
}

// add records one failure and returns its index, or -1 when it was dropped.
// An address named twice keeps the more telling diagnostic: Exchange names
// each recipient once for people and again, with the server's reply, for
// administrators.
func (l *bounceList) add(b Bounce) int {
	if i := l.index(b.Recipient); i >= 0 {
		if old := l.bounces[i]; b.Diagnostic != "" && (old.Diagnostic == "" || !hasCode(old) && hasCode(b)) {
			l.bounces[i] = b
		}
		return i
	}
	if len(l.bounces) >= maxBounces {
		return -1
	}
	l.bounces = append(l.bounces, b)
	return len(l.bounces) - 1
}

// hasCode says whether a failure says how it failed in a code.
func hasCode(b Bounce) bool {
	return b.Status != "" || smtpReply(b.Diagnostic) != ""
}

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
		if g.final != "" || g.original != "" {
			recipients++
			l.addGroup(g)
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
// too: it cannot mean anything else.
func (l *bounceList) addGroup(g dsnGroup) {
	addr := dsnAddress(g.final)
	if addr == "" {
		addr = dsnAddress(g.original)
	}
	if addr == "" {
		return
	}
	status := statusCode(firstWord(g.status))
	action := strings.ToLower(firstWord(g.action))
	switch {
	case action == "failed" || action == "failure":
	case action == "" && strings.HasPrefix(status, "5."):
	default:
		return
	}
	// Diagnostic-Code is "type; text" (section 2.3.6), the type "smtp"
	// or an MTA's own such as "X-Postfix".
	diag := g.diagnostic
	if typ, text, ok := strings.Cut(diag, ";"); ok && isToken(strings.TrimSpace(typ)) {
		diag = text
	}
	diag = cleanDiagnostic(diag)
	l.add(Bounce{Recipient: addr, Status: status, Hard: permanent(status, diag), Diagnostic: diag})
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

// returnedMessageID reads the Message-ID from a returned message or header.
func returnedMessageID(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(b))) // a cut-off header still has its fields
	mh := mail.Header{Header: message.Header{Header: h}}
	if id, err := mh.MessageID(); err == nil && id != "" {
		return cleanMessageID(id)
	}
	return cleanMessageID(mh.Get("Message-Id"))
}

// quotedMessageID finds a "Message-ID:" line in a bounce's text, where a
// non-standard bounce quotes the returned message's header. The value may
// be folded onto the next line.
func quotedMessageID(text string) string {
	for len(text) > 0 {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		line = strings.TrimSpace(line)
		if len(line) < len("message-id:") || !strings.EqualFold(line[:len("message-id:")], "message-id:") {
			continue
		}
		v := strings.TrimSpace(line[len("message-id:"):])
		if v == "" {
			v, _, _ = strings.Cut(text, "\n")
		}
		if id := cleanMessageID(v); id != "" {
			return id
		}
	}
	return ""
}

// cleanMessageID takes the first msg-id in v and returns it without angle
// brackets, or "" when it is not one token of printable text.
func cleanMessageID(v string) string {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "<") {
		v, _, _ = strings.Cut(v[1:], ">")
	} else if f := strings.Fields(v); len(f) > 0 {
		v = f[0]
	}
	if v == "" || len(v) > maxMessageID || !utf8.ValidString(v) {
		return ""
	}
	for _, r := range v {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' || unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ""
		}
	}
	return v
}

// looksLikeBounce says whether a message without a delivery-status part was
// written by a mail system about a failure: by its sender, or by its subject
// when something else says a machine sent it. A person can give their
// message any subject ("Undeliverable: my booking?"); they do not send with
// a null Return-Path or an Auto-Submitted field.
func looksLikeBounce(h mail.Header) bool {
	if ct, params, _ := h.ContentType(); ct == "multipart/report" && strings.EqualFold(params["report-type"], "delivery-status") {
		return true
	}
	// The sender is read by hand: Sendmail writes "<MAILER-DAEMON>" with no
	// domain, which no address parser accepts.
	from := strings.ToLower(OneLine(h.Get("From")))
	if strings.Contains(from, "mail delivery subsystem") || strings.Contains(from, "mail delivery system") {
		return true
	}
	addr := from
	if i := strings.LastIndexByte(addr, '<'); i >= 0 {
		addr, _, _ = strings.Cut(addr[i+1:], ">")
	}
	local, _, _ := strings.Cut(strings.TrimSpace(addr), "@")
	switch local {
	case "mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster":
		return true
	}
	if strings.HasPrefix(local, "microsoftexchange") { // Exchange's own sender
		return true
	}
	if Automatic(h, "") == "" && !h.Has("X-Failed-Recipients") {
		return false
	}
	subject := asciiLower(OneLine(h.Get("Subject")))
	return prefixAny(subject, bounceSubjects) != ""
}

// bounceSubjects start the subjects mail systems give their bounces. A reply
// ("Re: Undeliverable: …") is a person writing about one, not a bounce.
var bounceSubjects = []string{
	"undeliverable:", "undeliverable mail", "undelivered mail returned to sender",
	"delivery status notification (failure)", "mail delivery failed", "failure notice",
	"returned mail:", "delivery failure", "mail delivery failure", "message not delivered",
	"mail system error - returned mail", "non remis", "unzustellbar",
}

// delayMarkers are what warnings say: the mail system is still trying, so
// nobody has failed yet.
var delayMarkers = []string{
	"warning message only", "this is a warning only", "you do not need to resend",
	"(delay)", "has been delayed", "have been delayed", "delivery delayed", "delayed mail",
	"will retry", "will keep trying", "delivery attempts will continue",
	"has not yet been delivered", "still being retried",
}

// copyMarkers start the copy of the returned message in a non-standard
// bounce; the addresses in it are not failures.
var copyMarkers = []string{
	"below this line is a copy of the message", "this is a copy of the message",
	"original message headers:", "original message follows", "----- original message",
	"unsent message below", "message header follows",
}

// Lines that start a list of recipients: Exchange, Gmail, Exim, Sendmail.
var (
	failedSections = []string{
		"delivery has failed to these recipients or groups", "diagnostic information for administrators",
		"delivery to the following recipient failed permanently",
		"delivery to the following recipients failed permanently",
		"the following recipient(s) cannot be reached", "the following address(es) failed",
		"following addresses had permanent fatal errors",
	}
	otherSections = []string{
		"following addresses had transient non-fatal errors",
		"following addresses had successful delivery notifications",
	}
	// Lines after which the server's reply follows.
	replyLeads = []string{
		"the response from the remote server was:", "the response was:",
		"the error that the other server returned was:", "technical details of permanent failure:",
		"remote server returned",
	}
	// Sentences naming one failed recipient: Office 365 and Gmail.
	failedSentences = []string{
		"wasn't delivered to ", "wasn’t delivered to ", "was not delivered to ",
		"problem delivering your message to ", "could not be delivered to ", "couldn't be delivered to ",
	}
	// A reply in Sendmail's transcript: "<<< 550 5.1.1 <user@host>... User
	// unknown".
	transcriptRE = regexp.MustCompile(`^(?:<<< )?[245][0-9][0-9][ -](?:[245]\.[0-9]{1,3}\.[0-9]{1,3} )?<([^<>\s]{3,254})>\.\.\. `)
	// "<user@host>: reply" at the start of a line: Postfix, qmail, Yahoo.
	// Postfix adds "(expanded from <alias>)" for an alias.
	angleLineRE = regexp.MustCompile(`^<([^<>\s]{3,254})>(?:\s*\(expanded from <[^<>]*>\))?:\s*(.*)$`)
)

// readText finds failed recipients in a non-standard bounce's text.
func (l *bounceList) readText(text, subject string) {
	low := asciiLower(text)
	cut := len(text)
	for _, m := range copyMarkers {
		if i := strings.Index(low, m); i >= 0 && i < cut {
			cut = i
		}
	}
	text, low = text[:cut], low[:cut]
	for _, m := range delayMarkers {
		if strings.Contains(low, m) || strings.Contains(subject, m) {
			return
		}
	}
	if strings.Contains(low, "successfully delivered") {
		return
	}
	s := textScan{list: l, last: -1, lines: strings.Split(strings.ReplaceAll(text, "\r", ""), "\n")}
	for i := range s.lines {
		if len(s.lines[i]) > maxBounceLine {
			s.lines[i] = s.lines[i][:maxBounceLine]
		}
	}
	s.scan()
}

// textScan reads a non-standard bounce line by line. Every step moves i on,
// so it reads each line a bounded number of times.
type textScan struct {
	list  *bounceList
	lines []string
	last  int // the recipient last named, for a reply that follows; -1 for none
}

func (s *textScan) scan() {
	for i := 0; i < len(s.lines); {
		line := strings.TrimRight(s.lines[i], " \t")
		t := strings.TrimSpace(line)
		low := asciiLower(t) // byte for byte t, so offsets in one hold in the other
		var angle, transcript []string
		if strings.HasPrefix(line, "<") {
			angle = angleLineRE.FindStringSubmatch(line)
		}
		if t != "" && (t[0] == '<' || '2' <= t[0] && t[0] <= '5') {
			transcript = transcriptRE.FindStringSubmatch(t)
		}
		lead := prefixAny(low, replyLeads)
		switch {
		case t == "":
			i++
		case hasAny(low, failedSections):
			i = s.section(i+1, true)
		case hasAny(low, otherSections):
			i = s.section(i+1, false)
		case angle != nil:
			detail, next := s.paragraph(i + 1)
			s.mention(angle[1], angle[2]+" "+detail)
			i = next
		case transcript != nil:
			// Only for a recipient already listed as failed: a transcript
			// also shows replies to recipients that are still being tried.
			if s.list.index(cleanAddress(transcript[1])) >= 0 {
				s.mention(transcript[1], strings.TrimPrefix(t, "<<< "))
			}
			i++
		case lead != "":
			same := strings.TrimSpace(t[len(lead):])
			next := i + 1
			for same == "" && next < len(s.lines) && next < i+4 && strings.TrimSpace(s.lines[next]) == "" {
				next++ // Gmail leaves a blank line before the reply
			}
			detail, next := s.paragraph(next)
			s.reply(same + " " + detail)
			i = next
		default:
			for _, p := range failedSentences {
				if j := strings.Index(low, p); j >= 0 {
					s.mention(firstAddress(t[j+len(p):]), "")
					break
				}
			}
			if j := strings.Index(low, "your message to "); j >= 0 && strings.Contains(low, "be delivered") {
				s.mention(firstAddress(t[j+len("your message to "):]), "")
			}
			i++
		}
	}
}

// paragraph joins the lines from i up to a blank line or the start of
// something else, and returns where it stopped.
func (s *textScan) paragraph(i int) (string, int) {
	var b strings.Builder
	for ; i < len(s.lines); i++ {
		t := strings.TrimSpace(s.lines[i])
		low := asciiLower(t)
		if t == "" || angleLineRE.MatchString(s.lines[i]) || hasAny(low, failedSections) || hasAny(low, otherSections) {
			break
		}
		if b.Len() < maxBounceDetail {
			b.WriteString(t)
			b.WriteByte(' ')
		}
	}
	return b.String(), i
}

// section reads a list of recipients, each on a line of its own with any
// explanation on the lines after it. A few lines before the first address
// are passed over ("Generating server: …"); after it, a blank line followed
// by something other than an address ends the list. Addresses in a list of
// delays or successes (failed=false) are passed over.
func (s *textScan) section(i int, failed bool) int {
	seen, blank, skipped := false, false, 0
	addr := ""
	var detail strings.Builder
	flush := func() {
		if addr != "" && failed {
			s.mention(addr, detail.String())
		}
		addr = ""
		detail.Reset()
	}
	defer flush()
	for ; i < len(s.lines); i++ {
		t := strings.TrimSpace(s.lines[i])
		if t == "" {
			blank = true
			continue
		}
		low := asciiLower(t)
		if hasAny(low, failedSections) || hasAny(low, otherSections) {
			return i
		}
		if a := lineAddress(t); a != "" {
			flush()
			addr, seen, blank = a, true, false
			continue
		}
		if !seen {
			if skipped++; skipped > 6 {
				return i
			}
			continue
		}
		if blank {
			return i
		}
		if detail.Len() < maxBounceDetail {
			detail.WriteString(t)
			detail.WriteByte(' ')
		}
	}
	return i
}

// mention records that the text names addr as failed, with the server's
// words if it gives them. A recipient whose reply says it was delivered
// (2.x.x, 2yz) has not failed.
func (s *textScan) mention(addr, detail string) {
	addr = cleanAddress(addr)
	s.last = -1 // a reply that follows is not for an earlier recipient
	if addr == "" {
		return
	}
	diag := oneLineDiagnostic(detail)
	// The server's words start at its reply code; before it is the
	// reporting MTA's account of whom it was talking to.
	if m := smtpReplyRE.FindStringSubmatchIndex(diag); m != nil && m[2] > 0 {
		diag = diag[m[2]:]
	}
	diag = clipDiagnostic(diag)
	status := enhancedCode(diag)
	if strings.HasPrefix(status, "2.") || status == "" && strings.HasPrefix(smtpReply(diag), "2") {
		return
	}
	s.last = s.list.add(Bounce{Recipient: addr, Status: status, Hard: permanent(status, diag), Diagnostic: diag})
}

// reply gives the recipient last named the server's words that follow it.
func (s *textScan) reply(detail string) {
	if s.last < 0 {
		return
	}
	s.mention(s.list.bounces[s.last].Recipient, detail)
}

// lineAddress returns the address a line in a list of recipients starts
// with or, Exchange's way, ends with: "Name (addr)", "addr<mailto:addr>".
func lineAddress(t string) string {
	first, _, _ := strings.Cut(t, " ")
	if i := strings.Index(first, "<mailto:"); i > 0 {
		first = first[:i]
	}
	if a := cleanAddress(strings.Trim(first, "<>:,;")); a != "" {
		return a
	}
	if strings.HasSuffix(t, ")") {
		if i := strings.LastIndexByte(t, '('); i >= 0 {
			return cleanAddress(t[i+1 : len(t)-1])
		}
	}
	if i := strings.LastIndex(t, "<mailto:"); i >= 0 && strings.HasSuffix(t, ">") {
		return cleanAddress(t[i+len("<mailto:") : len(t)-1])
	}
	return ""
}

// firstAddress is the address at the start of s, as a sentence writes it:
// "john@example.com couldn't be delivered", "<john@example.com>.".
func firstAddress(s string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(s), " ")
	return strings.Trim(first, "<>.,;:()'\"")
}

// asciiLower lower-cases A to Z only, so the result is byte for byte the
// input and an index found in one can slice the other (strings.ToLower
// changes the length of some characters).
func asciiLower(s string) string {
	hasUpper := false
	for i := 0; i < len(s) && !hasUpper; i++ {
		hasUpper = 'A' <= s[i] && s[i] <= 'Z'
	}
	if !hasUpper {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func hasAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// prefixAny returns the first of prefixes that s starts with, or "".
func prefixAny(s string, prefixes []string) string {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return p
		}
	}
	return ""
}
