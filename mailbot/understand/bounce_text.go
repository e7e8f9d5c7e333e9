package understand

// Bounces that are not standard reports: the texts that Exchange, Gmail,
// Postfix, qmail, Sendmail and Exim write in their place, read line by line
// for the recipients that failed and what their servers said.

import (
	"regexp"
	"strings"

	"github.com/emersion/go-message/mail"
)

// looksLikeBounce says whether a message without a delivery-status part was
// written by a mail system about a failure: by its sender, or by its subject
// when something else says a machine sent it. A person can give their
// message any subject ("Undeliverable: my booking?"); they do not send with
// a null Return-Path or an Auto-Submitted field.
func looksLikeBounce(h mail.Header) bool {
	if ct, params, _ := h.ContentType(); ct == "multipart/report" && strings.EqualFold(params["report-type"], "delivery-status") {
		return true
	}
	if mailSystemSender(h) {
		return true
	}
	if Automatic(h, "") == "" && !h.Has("X-Failed-Recipients") {
		return false
	}
	subject := asciiLower(OneLine(h.Get("Subject")))
	return prefixAny(subject, bounceSubjects) != ""
}

// LooksLikeReport says whether a message is a mail system's report about
// a delivery, by its header alone, whether or not ReadBounce can read
// what it says: a message to a bounce address that does, and that
// ReadBounce cannot read, is one for a person to look at.
func LooksLikeReport(h mail.Header) bool {
	return looksLikeBounce(h)
}

// mailSystemSender says whether a message's From is a mail system's own
// (MAILER-DAEMON, postmaster, Exchange's system mailbox), the sender of
// delivery reports. It is read by hand: Sendmail writes "<MAILER-DAEMON>"
// with no domain and DragonFly "MAILER-DAEMON <>", which no address
// parser accepts.
func mailSystemSender(h mail.Header) bool {
	from := strings.ToLower(OneLine(h.Get("From")))
	if strings.Contains(from, "mail delivery subsystem") || strings.Contains(from, "mail delivery system") {
		return true
	}
	addr := from
	if i := strings.LastIndexByte(addr, '<'); i >= 0 {
		addr, _, _ = strings.Cut(addr[i+1:], ">")
	}
	if strings.TrimSpace(addr) == "" { // "MAILER-DAEMON <>": the name, and the null path
		addr, _, _ = strings.Cut(from, "<")
	}
	local, domain, _ := strings.Cut(strings.Trim(strings.TrimSpace(addr), `"`), "@")
	switch local {
	case "mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster", "post_master":
		return true
	case "no-reply":
		// au one net (KDDI) reports from no-reply at the recipient's
		// own dion.ne.jp host, under a subject of any words ("Mail").
		return domain == "dion.ne.jp" || strings.HasSuffix(domain, ".dion.ne.jp")
	}
	return strings.HasPrefix(local, "microsoftexchange") // Exchange's own sender
}

// bounceSubjects start the subjects mail systems give their bounces. A reply
// ("Re: Undeliverable: …") is a person writing about one, not a bounce.
var bounceSubjects = []string{
	"undeliverable:", "undeliverable mail", "undelivered mail returned to sender",
	"delivery status notification (failure)", "mail delivery failed", "failure notice",
	"returned mail:", "delivery failure", "mail delivery failure", "message not delivered",
	"mail system error - returned mail", "non remis", "unzustellbar",
	"delivery status notification: error", // OpenSMTPD
	"undeliverable message",
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
	"below this line is a copy of the message", "this is a copy of the message", "this is a copy of your message",
	"original message headers:", "original message follows", "----- original message",
	"unsent message below", "unsent message follows", "message header follows", "message headers follow",
	"\noriginal message:\n", // Verizon's MMS gateway, above the copy's header fields
}

// Lines that start a list of recipients: Exchange, Gmail, Exim, Sendmail.
var (
	failedSections = []string{
		"delivery has failed to these recipients or groups", "diagnostic information for administrators",
		"delivery to the following recipient failed permanently",
		"delivery to the following recipients failed permanently",
		"the following recipient(s) cannot be reached", "the following address(es) failed",
		"following addresses had permanent fatal errors",
		"did not reach the following recipient(s)", // Exchange 2003
		"the following address failed",             // GMX, MXLogic
		"this is a permanent error",                // Exim's wording, wrapped anywhere after it (GMX, Zoho)
		"the following list of recipients",         // OpenSMTPD
		"following addresses had delivery errors",  // Mail2000
		"following recipients failed permanently",  // "Delevery to the following recipients failed permanently" (X3)
		"following recipients was aborted",         // X3, given up after hours of trying
		"could not be reached:",                    // Exchange 2003: "The following recipient(s) could not be reached:"
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
		"technical details:",        // X3
		"for the following reason:", // 1&1
	}
	// Sentences naming one failed recipient: Office 365 and Gmail.
	failedSentences = []string{
		"wasn't delivered to ", "wasn’t delivered to ", "was not delivered to ",
		"problem delivering your message to ", "could not be delivered to ", "couldn't be delivered to ",
		"error delivering your mail to ", // DragonFly
		"could not be delivered to: ",    // KDDI's au one net
		"unable to deliver message to ",  // InterScan
		"returned permanent errors: ",    // X6: "The following recipients returned permanent errors: kim@…."
		"rejected recipient ",            // X6: "SMTP Server <…> rejected recipient <kim@…>"
	}
	// Words inside a line after which the server's reply follows:
	// DragonFly's "mx.example.org [192.0.2.1] did not like our RCPT TO:".
	replyInside = []string{" did not like our "}
	// A reply in Sendmail's transcript: "<<< 550 5.1.1 <user@host>... User
	// unknown".
	transcriptRE = regexp.MustCompile(`^(?:<<< )?[245][0-9][0-9][ -](?:[245]\.[0-9]{1,3}\.[0-9]{1,3} )?<([^<>\s]{3,254})>\.\.\. `)
	// "Unknown user: kim@host": the reason, then the address (IMail).
	colonLineRE = regexp.MustCompile(`^([A-Za-z][A-Za-z '-]{2,60}):\s*<?([^<>\s:]{1,64}@[^<>\s]{1,254}?)>?\.?$`)
	// "<user@host>: reply" at the start of a line: Postfix, qmail, Yahoo.
	// Postfix adds "(expanded from <alias>)" for an alias.
	angleLineRE = regexp.MustCompile(`^<([^<>\s]{3,254})>(?:\s*\(expanded from <[^<>]*>\))?:\s*(.*)$`)
)

// reportText is a non-standard report's own words, up to the copy of the
// returned message it quotes; ok is false when they say nobody has failed
// yet (a delay warning) or that delivery succeeded.
func reportText(text, subject string) (own string, ok bool) {
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
			return "", false
		}
	}
	if strings.Contains(low, "successfully delivered") {
		return "", false
	}
	return text, true
}

// inlineCopy is the returned message a non-standard report quotes in its
// own text, after the line that says so ("----- Unsent message follows
// -----"), or nil.
func inlineCopy(text string) []byte {
	low := asciiLower(text)
	at, marker := -1, ""
	for _, m := range copyMarkers {
		if i := strings.Index(low, m); i >= 0 && (at < 0 || i < at) {
			at, marker = i, m
		}
	}
	if at < 0 {
		return nil
	}
	at += len(marker) - len(strings.TrimLeft(marker, "\n")) // from the marker's own line
	_, rest, ok := strings.Cut(text[at:], "\n")
	if !ok {
		return nil
	}
	return []byte(strings.TrimLeft(rest, "\r\n"))
}

// readText finds failed recipients in a non-standard bounce's text.
func (l *bounceList) readText(text, subject string) {
	text, ok := reportText(text, subject)
	if !ok {
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
		var colon []string
		if strings.Contains(t, "@") && strings.Contains(t, ":") {
			if colon = colonLineRE.FindStringSubmatch(t); colon != nil && !failureWords(asciiLower(colon[1])) {
				colon = nil
			}
		}
		lead := prefixAny(low, replyLeads)
		if lead == "" && hasAny(low, replyInside) {
			if j := strings.IndexByte(t, ':'); j >= 0 {
				lead = low[:j+1]
			}
		}
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
			// For a recipient already listed as failed, or a permanent
			// refusal: a transcript also shows the replies to recipients
			// that are still being tried, which are 4yz.
			if s.list.index(cleanAddress(transcript[1])) >= 0 || strings.HasPrefix(strings.TrimPrefix(t, "<<< "), "5") {
				s.mention(transcript[1], strings.TrimPrefix(t, "<<< "))
			}
			i++
		case colon != nil:
			s.mention(colon[2], colon[1])
			i++
		case len(s.list.bounces) == 1 && !hasCode(s.list.bounces[0]) && strings.Trim(low, "- ") == "transcript of session follows":
			// Sendmail's heading for the server's replies: with one
			// recipient failed, and no code given them in the list,
			// the first reply that follows is theirs (Active!Hunter
			// quotes qmail's "550 sorry, no mailbox here by that name
			// (#5.1.1 - chkusr)" under it).
			i = s.transcriptReply(i + 1)
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
					// The rest of the sentence says why ("… because
					// the address couldn't be found"); X6 quotes the
					// server's reply there.
					addr := firstAddress(t[j+len(p):])
					_, rest, _ := strings.Cut(t[j+len(p):], addr)
					if rest = strings.TrimLeft(rest, ">.,;: "); rest == "" {
						// The sentence goes on on the next line
						// (au one net: "Could not be delivered
						// to: <kim@…>" / "As their mailbox is
						// full."), or the reason is the paragraph
						// after it (DragonFly).
						next := i + 1
						if next < len(s.lines) && strings.TrimSpace(s.lines[next]) == "" {
							next++
						}
						rest, i = s.paragraph(next)
						i--
					}
					s.mention(addr, rest)
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

// transcriptReply gives the one failed recipient the first server reply
// ("550 …", "<<< 550 …") in the paragraph from line i, and returns where
// the paragraph ended.
func (s *textScan) transcriptReply(i int) int {
	for ; i < len(s.lines); i++ {
		t := strings.TrimPrefix(strings.TrimSpace(s.lines[i]), "<<< ")
		if t == "" {
			break
		}
		if code := smtpReply(t); code != "" && strings.HasPrefix(t, code) && !hasCode(s.list.bounces[0]) {
			s.last = 0
			s.reply(t)
		}
	}
	return i
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
		if a, rest := lineAddress(t); a != "" {
			flush()
			addr, seen, blank = a, true, false
			if rest != "" && cleanAddress(rest) != a { // "<kim@…>: 550 5.1.1 …" on the address's own line; not Active!Hunter's "kim@… <kim@…>"
				detail.WriteString(rest + " ")
			}
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
	s.last = s.list.add(newBounce(addr, status, diag))
}

// reply gives the recipient last named the server's words that follow it.
func (s *textScan) reply(detail string) {
	if s.last < 0 {
		return
	}
	s.mention(s.list.bounces[s.last].Recipient, detail)
}

// lineAddress returns the address a line in a list of recipients starts
// with (after any bullet: "* kim@…", `"kim@…":`) or, Exchange's way, ends
// with: "Name (addr)", "addr<mailto:addr>"; and, for one it starts with,
// the rest of the line, where some servers put the reply.
func lineAddress(t string) (addr, rest string) {
	t = strings.TrimLeft(t, "*->\t ") // bullets, and Active!Hunter's ">>> "
	// Exim names a pipe or file it could not deliver to, then on the
	// next line the address whose forwarding made it: that address
	// failed.
	if after, ok := strings.CutPrefix(asciiLower(t), "generated by "); ok {
		t = t[len(t)-len(after):]
	}
	first, after, _ := strings.Cut(t, " ")
	if i := strings.Index(first, "<mailto:"); i > 0 {
		first = first[:i]
	}
	if a := cleanAddress(strings.Trim(first, `<>:,;"`)); a != "" {
		return a, after
	}
	if strings.HasSuffix(t, ")") {
		if i := strings.LastIndexByte(t, '('); i >= 0 {
			return cleanAddress(t[i+1 : len(t)-1]), ""
		}
	}
	if i := strings.LastIndex(t, "<mailto:"); i >= 0 && strings.HasSuffix(t, ">") {
		return cleanAddress(t[i+len("<mailto:") : len(t)-1]), ""
	}
	return "", ""
}

// failureWords says whether low (lower case) names a failure a rule
// reads: "unknown user", "mailbox full". A line "To: kim@…" does not.
func failureWords(low string) bool {
	for _, p := range reasonPhrases {
		if hasAny(low, p.words) {
			return true
		}
	}
	return false
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
