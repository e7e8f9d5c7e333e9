package understand

// When "user unknown" means the address is gone. A server that refuses an
// address at RCPT TO says so before it has seen a word of the message; one
// that says "550 Unknown user" after the data has read the message, and is
// a filter speaking: content-filter appliances (McAfee, MXLogic,
// SurfControl) and the Japanese carriers answer so for mail they or the
// person's own settings refused. A "user unknown" we cannot place at RCPT
// TO, under a status that does not say the address is bad (X.1.X), is
// therefore counted soft ("filtered"): that keeps a filtered newsletter
// from cutting a resident off at once, and repeated failures within the
// window still stop the mail. sisimai decides the same way, by the SMTP
// command, unless a receiving service's own documented wording says which.

import (
	"regexp"
	"strings"

	"github.com/emersion/go-message/mail"
)

// reportFacts are what a report says around its failures that decides
// how one of them reads.
type reportFacts struct {
	low      string // the report's own human-readable text, lower case, without CRs
	flat     string // low with each run of white space one space
	sender   string // the envelope sender it came back to (envelopeSender)
	reporter string // the domain of its From: the mail system that wrote it
}

// newReportFacts gathers them once for a report with header h, its text
// and its returned message.
func newReportFacts(h mail.Header, text string, returned []byte) reportFacts {
	low := strings.ReplaceAll(asciiLower(text), "\r", "")
	return reportFacts{low: low, flat: strings.Join(strings.Fields(low), " "), sender: envelopeSender(h, returned), reporter: reporterDomain(h)}
}

// byPhase corrects a failure's reason by when in the SMTP session the
// server refused and by whose words the refusal is in, which a reply's
// words alone do not say:
//   - "unknown user" stays an address that is gone only when something
//     vouches for it (addressGone); otherwise it is a filter;
//   - "550 5.2.1 … User Unknown" (Sendmail's wording, X.2.1 "mailbox
//     disabled") answered to RCPT TO is the address refused as unknown;
//     said at another time, or we cannot tell, it stays a suspended
//     mailbox, which only counts as soft;
//   - a reply no rule reads, about a recipient the reporting system
//     itself says could not be found, takes the reporting system's word.
func (f reportFacts) byPhase(b Bounce) Bounce {
	detail := b.Status[min(2, len(b.Status)):]
	r := b.Reason
	switch {
	case r == ReasonUserUnknown && !strings.HasPrefix(detail, "1.") && !f.addressGone(b):
		r = ReasonFiltered
	case r == ReasonSuspend && detail == "2.1" && reasonOf("", b.Diagnostic) == ReasonUserUnknown && smtpPhase(f.low, b.Recipient) == "RCPT":
		r = ReasonUserUnknown
	case r == ReasonOnHold && reporterCouldNotFind(f.flat, b.Recipient):
		r = ReasonUserUnknown
	default:
		return b
	}
	b.Reason, b.Hard = r, b.Permanent && r.Fault() == FaultRecipient
	return b
}

// addressGone says whether a failure read as "user unknown" shows that the
// address is gone, not that a filter refused the message: the words are
// a mailbox directory's own, or a receiving service's documented answer
// for an address it does not have, or the refusal came at RCPT TO; or the
// reporting system says itself that the address could not be found.
func (f reportFacts) addressGone(b Bounce) bool {
	if namesNoAddress(b.Diagnostic) {
		return false
	}
	diag := asciiLower(b.Diagnostic)
	if hasAny(diag, directoryPhrases) || serviceSaysUnknown(b.Recipient, diag, f.reporter) {
		return true
	}
	switch smtpPhase(f.low, b.Recipient) {
	case "RCPT":
		return true
	case "DATA":
		return false
	}
	return reporterCouldNotFind(f.flat, b.Recipient)
}

// directoryPhrases are a mail store's own words for a name its directory
// does not hold: Lotus Domino and Notes, Exchange 2003's X.400 connector,
// IMail. The store that holds the mailboxes is speaking, not a filter in
// front of it, whenever in the session it says so.
var directoryPhrases = []string{"not listed in domino directory", "not listed in public name & address book",
	"recipient name is not recognized", "invalid final delivery userid"}

// serviceSaysUnknown says whether a receiving service's own documented
// wording for an address it does not have is in low (a diagnostic, lower
// case), for addr, in a report the mail system at reporter wrote. Each
// answers so whenever in the session it refuses:
//   - Yahoo's "554 delivery error: dd This user doesn't have a yahoo.com
//     account", given after the data;
//   - Orange and La Poste's code 416, "invalid recipient" (orangeCodes);
//   - au (KDDI, ezweb.ne.jp) names the address it does not have ("550
//     <kim@ezweb.ne.jp>: User unknown"), and leaves the place empty for
//     mail the person's own filter refused ("550 : User unknown",
//     namesNoAddress);
//   - Outlook.com, reporting its own refusal, "550 Requested action not
//     taken: mailbox unavailable";
//   - Symantec Email Security.cloud (MessageLabs), which checks each
//     address against its customer's directory, "No such user" and
//     "Invalid recipient".
func serviceSaysUnknown(addr, low, reporter string) bool {
	switch {
	case domainIn(reporter, "hotmail.com", "outlook.com", "live.com") && strings.Contains(low, "requested action not taken: mailbox unavailable"):
		return true
	case domainIn(reporter, "messagelabs.com") && hasAny(low, []string{"no such user", "invalid recipient"}):
		return true
	case strings.Contains(low, "delivery error: dd "):
		return true
	case orangeReason(low) == ReasonUserUnknown:
		return true
	case auDomain(addr) && strings.Contains(low, ">: user unknown"):
		return true
	}
	return false
}

// auDomain says whether addr is at one of au's (KDDI's) mail domains.
func auDomain(addr string) bool {
	_, domain, _ := strings.Cut(addr, "@")
	return domainIn(domain, "ezweb.ne.jp", "au.com")
}

// domainIn says whether domain is one of names or a host under one.
func domainIn(domain string, names ...string) bool {
	for _, n := range names {
		if domain == n || strings.HasSuffix(domain, "."+n) {
			return true
		}
	}
	return false
}

// reporterDomain is the domain of a report's From, lower case: the mail
// system that wrote it; or "".
func reporterDomain(h mail.Header) string {
	from := asciiLower(OneLine(h.Get("From")))
	if i := strings.LastIndexByte(from, '<'); i >= 0 {
		from, _, _ = strings.Cut(from[i+1:], ">")
	} else if f := strings.Fields(from); len(f) > 0 {
		from = f[0]
	}
	_, domain, _ := strings.Cut(strings.TrimSpace(from), "@")
	return domain
}

// reporterCouldNotFind says whether the reporting system's own text
// (flat: lower case, its white space one space) says that addr could not
// be found: Gmail writes "Your message wasn't delivered to kim@… because
// the address couldn't be found" above the remote server's reply, having
// had that reply at RCPT TO itself.
func reporterCouldNotFind(flat, addr string) bool {
	return strings.Contains(flat, "delivered to "+addr+" because the address couldn't be found")
}

// orangeCodeRE finds the code Orange (orange.fr, wanadoo.fr) and La Poste
// (laposte.net) put at the end of every refusal: "OFR_416", "LPN007_416",
// "OFR006_102". The last three digits say why, in any of the servers'
// wordings.
var orangeCodeRE = regexp.MustCompile(`\b(?:ofr|lpn|ouk)[0-9]*_([0-9]{3})\b`)

// orangeCodes are the reasons of Orange's and La Poste's published codes
// that say one thing only.
var orangeCodes = map[string]Reason{
	"101": ReasonBlocked,      // our IP on Spamhaus
	"102": ReasonBlocked,      // our IP refused for spam
	"104": ReasonTooManyConn,  // too many connections
	"401": ReasonAuthFailure,  // SPF
	"403": ReasonRejected,     // invalid sender
	"405": ReasonRejected,     // invalid sender
	"415": ReasonRejected,     // invalid sender
	"416": ReasonUserUnknown,  // invalid recipient
	"417": ReasonMailboxFull,  // recipient over quota
	"420": ReasonSuspend,      // archived mailbox
	"426": ReasonSuspend,      // the recipient's account is blocked
	"505": ReasonSystemError,  // service refused, try later
	"506": ReasonSpamDetected, // mail rejected as spam
	"514": ReasonMesgTooBig,
	"517": ReasonAuthFailure, // DMARC failed
	"999": ReasonBlocked,
}

// orangeReason is the reason an Orange or La Poste code in low (a
// diagnostic, lower case) gives, or "".
func orangeReason(low string) Reason {
	if m := orangeCodeRE.FindStringSubmatch(low); m != nil {
		return orangeCodes[m[1]]
	}
	return ""
}

// bySender reads a failure whose words say that something does not
// exist as a refusal of our envelope sender (rejected) when the thing
// they name is the sender's domain, not the recipient's: Exim passes on
// "553 5.1.0 … bounces.council.example does not exist" from a server
// that could not verify the domain of our bounce address. The address
// the mail went to is not in question.
func (f reportFacts) bySender(b Bounce) Bounce {
	_, ours, _ := strings.Cut(f.sender, "@")
	_, theirs, _ := strings.Cut(b.Recipient, "@")
	switch b.Reason {
	case ReasonUserUnknown, ReasonHostUnknown, ReasonFiltered, ReasonOnHold:
	default:
		return b
	}
	low := asciiLower(b.Diagnostic)
	if ours == "" || ours == theirs || !containsDomain(low, ours) || strings.Contains(low, theirs) {
		return b
	}
	b.Reason, b.Hard = ReasonRejected, false
	return b
}

// containsDomain says whether the domain name is in low on its own: not
// inside a longer name, and not the domain of an address ("kim@name"),
// which is about a mailbox there.
func containsDomain(low, name string) bool {
	for at := 0; ; {
		i := strings.Index(low[at:], name)
		if i < 0 {
			return false
		}
		i += at
		before, after := byte(' '), byte(' ')
		if i > 0 {
			before = low[i-1]
		}
		if j := i + len(name); j < len(low) {
			after = low[j]
		}
		if !domainByte(before) && before != '.' && before != '@' && !domainByte(after) {
			return true
		}
		at = i + 1
	}
}

// domainByte says whether c can be part of a domain name's label.
func domainByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-'
}

// envelopeSender is the address a report came back to, lower case: the
// returned message's Return-Path, else the report's own single To; or "".
func envelopeSender(h mail.Header, returned []byte) string {
	if len(returned) > 0 {
		rh := ReturnedHeader(returned)
		if a := cleanAddress(strings.Trim(strings.TrimSpace(rh.Get("Return-Path")), "<>")); a != "" {
			return a
		}
	}
	if to, err := h.AddressList("To"); err == nil && len(to) == 1 {
		return cleanAddress(to[0].Address)
	}
	return ""
}

// smtpPhase is the SMTP command a report's text (low: lower case, without
// CRs) shows the failure for addr was the answer to, "RCPT" or "DATA" (or
// "MAIL" from a session transcript), or "" when it does not say. Postfix
// writes "(in reply to RCPT TO command)" or "(in reply to end of DATA
// command)" after each recipient's reply; Sendmail, Courier and EZweb a transcript (">>> RCPT
// To:<kim@…>", "<<< 550 …"); Exim and GMX "SMTP error from remote mail
// server after RCPT TO:" or "after end of data"; m-FILTER "SMTP command"
// with the command on the next line; qmail "does not like recipient" or
// "for RCPT TO response", DragonFly "did not like our RCPT TO", X3
// "SMTP:RCPT host" and Yahoo "[RCPT_TO]" after the reply.
func smtpPhase(low, addr string) string {
	for _, m := range []string{"smtp command\ndata", "after end of data"} {
		if strings.Contains(low, m) {
			return "DATA"
		}
	}
	for at := 0; ; {
		i := strings.Index(low[at:], addr)
		if i < 0 {
			break
		}
		at += i + len(addr)
		para, _, _ := strings.Cut(low[at:], "\n\n")
		switch para = strings.Join(strings.Fields(para), " "); {
		case strings.Contains(para, "in reply to end of data command"):
			return "DATA"
		case strings.Contains(para, "in reply to rcpt to command"):
			return "RCPT"
		}
	}
	if p := transcriptPhase(low, addr); p != "" {
		return p
	}
	for _, m := range []string{"after rcpt to", "after rcpt command", "smtp command\nrcpt",
		"does not like recipient", "did not like our rcpt to", "[rcpt_to]", "rcpt to response", "smtp:rcpt host"} {
		if strings.Contains(low, m) {
			return "RCPT"
		}
	}
	return ""
}

// transcriptPhase reads a session transcript (">>> " our command, "<<< "
// the server's reply): the command the first refusal after addr's first
// mention answered, or that of a refusal of ">>> RCPT To:<addr>" itself,
// or "".
func transcriptPhase(low, addr string) string {
	lines := strings.Split(low, "\n")
	from := -1
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if from < 0 && strings.Contains(t, addr) {
			from = i
		}
		if strings.HasPrefix(t, ">>> rcpt to:") && strings.Contains(t, "<"+addr+">") && refusedNext(lines[i+1:]) {
			return "RCPT"
		}
	}
	if from < 0 {
		return ""
	}
	command := ""
	for _, line := range lines[from:] {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, ">>> "):
			command = strings.TrimSpace(t[4:])
		case strings.HasPrefix(t, "<<< 4"), strings.HasPrefix(t, "<<< 5"):
			switch c, _, _ := strings.Cut(command, " "); {
			case c == "data", c == ".":
				return "DATA"
			case strings.HasPrefix(c, "rcpt"):
				return "RCPT"
			case strings.HasPrefix(c, "mail"):
				return "MAIL"
			}
			return ""
		}
	}
	return ""
}

// refusedNext says whether the first server reply in lines is a refusal.
func refusedNext(lines []string) bool {
	for _, line := range lines {
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "<<< ") {
			return strings.HasPrefix(t, "<<< 4") || strings.HasPrefix(t, "<<< 5")
		}
	}
	return false
}

// namesNoAddress says whether a server's reply leaves empty the place
// where it names the address: "550 : User unknown". EZweb and the
// carriers behind it answer so after the data, for a sender the person's
// own filter refuses, with no recipient to name; an unknown address at
// RCPT TO is named ("550 <kim@…>: User unknown", and Yahoo's relay of it
// "550: <kim@…>: User unknown").
func namesNoAddress(diag string) bool {
	return emptyAddressRE.MatchString(diag)
}

var emptyAddressRE = regexp.MustCompile(`^[245][0-9][0-9]:? +: `)
