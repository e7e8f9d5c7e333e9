package understand

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
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
	Status     string // enhanced status code as written, e.g. "5.1.1"; "" when the report gives none (then Permanent is decided from the text / SMTP code)
	Permanent  bool   // the server gave up for good: 5.x.x, or a 5yz SMTP reply, or Action: failed with no status
	Reason     Reason // why, in sisimai's words; never ""
	Hard       bool   // the address is gone: permanent, and the reason is the recipient's (Reason.Fault is FaultRecipient)
	Diagnostic string // the server's words, one line, at most 200 bytes, for logs and staff
}

// newBounce decides a failure's permanence, reason and hardness, in one
// place for every way a report is read.
func newBounce(addr, status, diag string) Bounce {
	perm := permanent(status, diag)
	r := reasonOf(status, diag)
	return Bounce{Recipient: addr, Status: status, Permanent: perm, Reason: r, Hard: perm && r.Fault() == FaultRecipient, Diagnostic: diag}
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
// Anyone can send a message that looks like a bounce, naming any address
// and quoting any Message-ID. Count one against an address only when it
// came back to the envelope sender of a message we sent there.
func ReadBounce(raw []byte) (r Report, ok bool) {
	return readBounce(raw, true)
}

// readBounce is ReadBounce; unwrap says whether a report that names no
// recipient but returns another report may be read by that one instead.
func readBounce(raw []byte, unwrap bool) (r Report, ok bool) {
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
	text = strings.ReplaceAll(text, "\r\n", "\n") // read line by line, whoever wrote the line ends
	subject := asciiLower(OneLine(h.Get("Subject")))
	named := l.readStatus(rr.status)
	if named == 0 {
		named = l.readSES(text)
	}
	if named == 0 && looksLikeBounce(h) {
		// Some put the delivery-status fields in their text instead of a
		// part of their own (Amazon WorkMail); read as such only when a
		// mail system wrote it.
		if named = l.readStatus(embeddedStatus(text)); named == 0 {
			l.readText(text, subject)
		}
	}
	if named > 0 {
		l.fillFromText(text, subject)
	}
	if len(l.bounces) == 0 && len(rr.status) == 0 && looksLikeBounce(h) {
		l.readFailedHeader(h, text)
	}
	if len(l.bounces) == 0 && named == 0 && looksLikeBounce(h) {
		if inner := ReturnedHeader(rr.returned); looksLikeBounce(inner) {
			// A gateway (InterScan) passed the report it was given
			// on inside one of its own, which says nothing itself.
			// Only once: the report inside is read as it stands.
			if unwrap {
				return readBounce(rr.returned, false)
			}
		} else if len(rr.returned) > 0 {
			l.readReturnedTo(rr.returned, text, subject)
		} else {
			l.readReturnedTo(inlineCopy(text), text, subject)
		}
	}
	if len(l.bounces) == 0 && named == 0 && looksLikeBounce(h) {
		l.readLoneAddresses(h, text, subject)
	}
	if len(l.bounces) == 0 {
		return Report{}, false
	}
	around := newReportFacts(h, text, rr.returned)
	for i, b := range l.bounces {
		l.bounces[i] = around.bySender(around.byPhase(b))
	}
	r.Bounces = l.bounces
	r.MessageID = returnedMessageID(rr.returned)
	if r.MessageID == "" {
		r.MessageID = quotedMessageID(text)
	}
	return r, true
}

// fillFromText gives a recipient that a delivery-status part names
// without the server's words (OpenSMTPD writes only "Status: 5.0.0") the
// reply its human-readable text quotes for them. The text only fills what
// the fields left out: it never overrides them.
func (l *bounceList) fillFromText(text, subject string) {
	if !slices.ContainsFunc(l.bounces, func(b Bounce) bool { return b.Diagnostic == "" }) {
		return
	}
	var fromText bounceList
	fromText.readText(text, subject)
	for i, b := range l.bounces {
		j := fromText.index(b.Recipient)
		if b.Diagnostic != "" || j < 0 {
			continue
		}
		t := fromText.bounces[j]
		status := b.Status
		if status == "" || strings.HasSuffix(status, ".0.0") && t.Status != "" && t.Status[0] == status[0] {
			status = t.Status // a class the fields gave, made specific
		}
		l.bounces[i] = newBounce(b.Recipient, status, t.Diagnostic)
		if b.Status != "" {
			l.bounces[i].Permanent, l.bounces[i].Hard = b.Permanent, b.Permanent && l.bounces[i].Reason.Fault() == FaultRecipient
		}
	}
}

// readFailedHeader takes the failed recipients from X-Failed-Recipients
// (Exim, Google) when the text named none in a shape we read; the reason
// is read from the first server reply in the text, if any.
func (l *bounceList) readFailedHeader(h mail.Header, text string) {
	diag := ""
	if m := smtpReplyRE.FindStringSubmatchIndex(text); m != nil {
		line, _, _ := strings.Cut(text[m[2]:], "\n")
		diag = cleanDiagnostic(line)
	} else if strings.Contains(text, "groups.google.com/support") {
		// Google Groups writes no reply code, only a letter in the
		// sender's language pointing at its help centre: the group is
		// gone, or takes no posts from the sender. sisimai counts it as
		// a refusal of the sender, and so do we.
		diag = googleGroupsRefusal
	}
	for _, a := range strings.Split(h.Get("X-Failed-Recipients"), ",") {
		if addr := cleanAddress(a); addr != "" {
			l.add(newBounce(addr, enhancedCode(diag), diag))
		}
	}
}

// readReturnedTo takes the failed recipient from the returned message
// when a mail system's report names none in a shape we read (Biglobe,
// EZweb, Lotus Notes, and reports whose status part is empty): a message
// sent to one address that came back undelivered failed for that
// address. The bot writes to one person a message, so for our own mail
// this is always right; a returned message to several, or to none, says
// nothing of which failed, and is left alone. The reason is read from the
// first line of the report's own text that names one.
func (l *bounceList) readReturnedTo(returned []byte, text, subject string) {
	if len(returned) == 0 {
		return
	}
	text, ok := reportText(text, subject)
	if !ok {
		return
	}
	mh := ReturnedHeader(returned)
	to, err := mh.AddressList("To")
	if err != nil || len(to) != 1 || mh.Get("Cc") != "" {
		return
	}
	if addr := cleanAddress(to[0].Address); addr != "" {
		diag := textDiagnostic(text)
		l.add(newBounce(addr, enhancedCode(diag), diag))
	}
}

// readLoneAddresses takes as failed the addresses a mail system's report
// writes on a line of their own in its own words, when it names none in
// a shape we read: m-FILTER, Lotus Notes and others list them so under a
// line in the local language ("以下のメールアドレスへの送信に失敗しました"),
// with the server's reply, if any, elsewhere in the text. The report's own
// From and To, the mail system and the sender, are never its failures.
func (l *bounceList) readLoneAddresses(h mail.Header, text, subject string) {
	text, ok := reportText(text, subject)
	if !ok {
		return
	}
	own := map[string]bool{}
	for _, k := range []string{"From", "To"} {
		if as, err := h.AddressList(k); err == nil {
			for _, a := range as {
				own[cleanAddress(a.Address)] = true
			}
		}
	}
	diag := ""
	for _, line := range strings.Split(text, "\n") {
		addr := loneAddress(line)
		if addr == "" || own[addr] {
			continue
		}
		if diag == "" {
			diag = textDiagnostic(text)
		}
		l.add(newBounce(addr, enhancedCode(diag), diag))
	}
}

// loneAddress is the address a line of a report's text gives alone, or
// after a label of its own ("Recipient: <kim@…>", IMail's "Delivery
// failed 20 attempts: kim@…", "undeliverable to kim@…"), or "". A line
// of a quoted header ("To: kim@…", "From: …") names no failure.
func loneAddress(line string) string {
	t := strings.TrimSpace(line)
	if len(t) > maxBounceLine {
		return ""
	}
	if addr := cleanAddress(t); addr != "" {
		return addr
	}
	i := strings.LastIndexAny(t, ": ")
	if i < 0 {
		return ""
	}
	label := asciiLower(strings.TrimSpace(t[:i+1]))
	switch {
	case strings.HasSuffix(label, ":"):
		switch strings.TrimSuffix(label, ":") {
		case "to", "from", "cc", "bcc", "reply-to", "sender", "return-path", "delivered-to", "x-original-to", "envelope-to", "mail from", "errors-to",
			"message-id", "in-reply-to", "references":
			return ""
		}
	case strings.HasSuffix(label, " to") && strings.Contains(label, "deliver"):
	default:
		return ""
	}
	return cleanAddress(strings.TrimSuffix(t[i+1:], "."))
}

// textDiagnostic is the first line of a report's text that says why a
// delivery failed: the one after "The response was:" and the like, or one
// with an SMTP reply code or a reason's words; or "".
func textDiagnostic(text string) string {
	afterLead := false
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if len(t) > maxBounceLine {
			t = t[:maxBounceLine]
		}
		low := asciiLower(t)
		if lead := prefixAny(low, replyLeads); lead != "" {
			t, low, afterLead = strings.TrimSpace(t[len(lead):]), low[len(lead):], true
		}
		if t != "" && (afterLead || smtpReply(t) != "" || failureWords(low)) {
			return cleanDiagnostic(t)
		}
	}
	return ""
}

// googleGroupsRefusal is the diagnostic given a Google Groups bounce,
// which says it in many languages and no code.
const googleGroupsRefusal = "Google Groups: the group does not exist, or the sender has no permission to post to it"

// embeddedStatus is the part of a report's text from its first
// "Final-Recipient:" field's block on, or nil.
func embeddedStatus(text string) []byte {
	low := asciiLower(text)
	i := strings.Index(low, "\nfinal-recipient:")
	if i < 0 {
		return nil
	}
	if j := strings.LastIndex(low[:i+1], "\n\n"); j >= 0 {
		i = j
	}
	return []byte(text[i:])
}

// reportReader walks a report's MIME tree once, keeping the parts a bounce
// is read from.
type reportReader struct {
	parts      int
	status     []byte          // every delivery-status part, one after another
	feedback   []byte          // the first feedback-report part (RFC 5965)
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
	// A multipart body whose boundary never comes (a relay rewrote the
	// header's, or stripped the body's) is one text to a mail client,
	// and is read as such: its first bytes are kept until a part starts.
	var unparted *prefixKeeper
	if strings.HasPrefix(partType(e.Header), "multipart/") {
		unparted = &prefixKeeper{left: int(min(rr.textLeft, maxBounceText))}
		e.Body = io.TeeReader(e.Body, unparted)
	}
	if mr := e.MultipartReader(); mr != nil {
		for parted := false; rr.parts <= maxBounceParts && !rr.broken; parted = true {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) || (err != nil && p == nil) {
				if !parted && len(unparted.kept) > 0 {
					rr.textLeft -= int64(len(unparted.kept))
					rr.text.Write(unparted.kept)
					rr.text.WriteString("\n\n")
				}
				return
			}
			unparted.left, unparted.kept = 0, nil
			rr.walk(p, depth+1)
		}
		return
	}
	switch partType(e.Header) {
	case "message/delivery-status", "message/global-delivery-status": // RFC 3464, RFC 6533
		b := rr.read(e.Body, &rr.statusLeft)
		rr.status = append(append(rr.status, b...), "\n\n"...)
	case "message/feedback-report": // RFC 5965 section 3
		if rr.feedback == nil {
			left := int64(maxBounceText)
			rr.feedback = rr.read(e.Body, &left)
		}
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

// partType is a part's media type, lower case. A Content-Type whose
// parameters cannot be parsed ("text/plain" with its charset folded onto
// the next line, no ";" between) still names its type first, and mail
// clients show the part by it.
func partType(h message.Header) string {
	ct, _, err := h.ContentType()
	if err != nil {
		f := strings.FieldsFunc(ct, func(r rune) bool { return r == ' ' || r == '\t' || r == ';' })
		if len(f) == 0 {
			return ""
		}
		ct = strings.ToLower(f[0])
	}
	return ct
}

// prefixKeeper keeps the first bytes written to it, up to left, and
// takes the rest without keeping them.
type prefixKeeper struct {
	kept []byte
	left int
}

func (k *prefixKeeper) Write(p []byte) (int, error) {
	n := max(0, min(len(p), k.left))
	k.kept = append(k.kept, p[:n]...)
	k.left -= n
	return len(p), nil
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

// returnedMessageID reads the Message-ID from a returned message or header.
func returnedMessageID(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	mh := ReturnedHeader(b)
	if id, err := mh.MessageID(); err == nil && id != "" {
		return cleanMessageID(id)
	}
	return cleanMessageID(mh.Get("Message-Id"))
}

// ReturnedHeader reads a returned message's header, or as much of it as
// there is: a cut-off header still has its fields.
func ReturnedHeader(b []byte) mail.Header {
	h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(b)))
	return mail.Header{Header: message.Header{Header: h}}
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
