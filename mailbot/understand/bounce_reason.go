package understand

// Why a delivery failed, in sisimai's vocabulary, and whose fault that is.
// The fault decides what a bounce does to an address: one that says the
// address is gone stops mail to it; one that says the mailbox is full or the
// server is unwell counts towards the soft limit; one that says the
// receiving server will not take mail from us (our authentication, our IP's
// reputation, our content, our rate) must never cut the recipient off, or a
// day of broken SPF would lose the council every reader of that day's
// newsletter.

import "strings"

// Reason names why a delivery failed. The names are sisimai's
// (https://libsisimai.org/en/reason/), so a report reads the same here as
// in the tools postmasters already use.
type Reason string

const (
	// The recipient's address is gone.
	ReasonUserUnknown Reason = "userunknown" // no such mailbox
	ReasonHostUnknown Reason = "hostunknown" // no such domain
	ReasonHasMoved    Reason = "hasmoved"    // the person has left and left no forwarding
	ReasonNotAccept   Reason = "notaccept"   // the domain takes no mail (null MX, RFC 7505)

	// The recipient's side, for now.
	ReasonMailboxFull Reason = "mailboxfull"
	ReasonExceedLimit Reason = "exceedlimit" // larger than this recipient accepts
	ReasonSuspend     Reason = "suspend"     // the account is disabled or inactive
	ReasonFiltered    Reason = "filtered"    // the recipient's own filter refused it
	ReasonSystemError Reason = "systemerror"
	ReasonSystemFull  Reason = "systemfull"
	ReasonMailerError Reason = "mailererror" // the local delivery program failed
	ReasonNetworkErr  Reason = "networkerror"
	ReasonExpired     Reason = "expired" // the sending server gave up trying
	ReasonOnHold      Reason = "onhold"  // the server said something no rule reads
	ReasonUndefined   Reason = "undefined"

	// Our side: the receiving server will not take mail from us.
	ReasonAuthFailure     Reason = "authfailure"   // SPF, DKIM or DMARC failed
	ReasonRequirePTR      Reason = "requireptr"    // our sending IP has no (matching) reverse DNS
	ReasonBlocked         Reason = "blocked"       // our sending IP or host is refused, often by a block list
	ReasonBadReputation   Reason = "badreputation" // our sending IP's reputation
	ReasonSpamDetected    Reason = "spamdetected"
	ReasonVirusDetected   Reason = "virusdetected"
	ReasonPolicyViolation Reason = "policyviolation"
	ReasonSecurityError   Reason = "securityerror"
	ReasonRejected        Reason = "rejected" // our envelope sender was refused
	ReasonNoRelaying      Reason = "norelaying"
	ReasonTooManyConn     Reason = "toomanyconn"
	ReasonSpeeding        Reason = "speeding" // we sent too fast (sisimai's older name: ratelimited)
	ReasonContentError    Reason = "contenterror"
	ReasonNotCompliantRFC Reason = "notcompliantrfc"
	ReasonSyntaxError     Reason = "syntaxerror"
	ReasonMesgTooBig      Reason = "mesgtoobig"
	ReasonFailedSTARTTLS  Reason = "failedstarttls"
)

// Fault is whose failure a bounce is, which decides what it does.
type Fault int

const (
	// FaultTransient: mailbox full, a server unwell, a reason no rule
	// reads. It counts towards the soft limit within the window.
	FaultTransient Fault = iota
	// FaultRecipient: the address is gone. A permanent one stops mail at
	// once.
	FaultRecipient
	// FaultSender: the council's own set-up, reputation, content or rate.
	// It never counts against the recipient; enough of them pause bulk
	// sending and tell staff.
	FaultSender
)

// Fault says whose failure r is.
func (r Reason) Fault() Fault {
	switch r {
	case ReasonUserUnknown, ReasonHostUnknown, ReasonHasMoved, ReasonNotAccept:
		return FaultRecipient
	case ReasonAuthFailure, ReasonRequirePTR, ReasonBlocked, ReasonBadReputation, ReasonSpamDetected,
		ReasonVirusDetected, ReasonPolicyViolation, ReasonSecurityError, ReasonRejected, ReasonNoRelaying,
		ReasonTooManyConn, ReasonSpeeding, ReasonContentError, ReasonNotCompliantRFC, ReasonSyntaxError,
		ReasonMesgTooBig, ReasonFailedSTARTTLS:
		return FaultSender
	}
	return FaultTransient
}

// SetUp says which part of the council's mail set-up a sender-side reason
// points to, in words for staff, or "" when it points to none in
// particular.
func (r Reason) SetUp() string {
	switch r {
	case ReasonAuthFailure:
		return "SPF, DKIM or DMARC: the receiving servers could not prove the mail came from the council's domain"
	case ReasonRequirePTR:
		return "reverse DNS: the sending server's IP address has no PTR record, or one that does not match its name"
	case ReasonBlocked, ReasonBadReputation:
		return "a block list or the sending IP address's reputation"
	case ReasonSpamDetected, ReasonVirusDetected, ReasonContentError, ReasonNotCompliantRFC, ReasonMesgTooBig:
		return "the content of the message: spam filters or format checks refused it"
	case ReasonTooManyConn, ReasonSpeeding:
		return "the sending rate: MAILBOT_SEND_PER_MINUTE and MAILBOT_SMTP_CONNECTIONS"
	case ReasonRejected, ReasonNoRelaying, ReasonSecurityError, ReasonPolicyViolation, ReasonSyntaxError, ReasonFailedSTARTTLS:
		return "the sending server or the envelope sender (bounce address): its policy, TLS or authentication"
	}
	return ""
}

// reasonOf decides why a delivery failed from its enhanced status code and
// the server's words. Words come first where they are specific: servers
// write 5.0.0, 5.7.1 or 5.5.0 for very different things, and "550 5.7.1
// Client host blocked using …" is about our IP, not the address. A few
// codes are specific enough to win over any wording (RFC 3463, RFC 7372,
// RFC 7505 and Microsoft's 5.7.6xx).
func reasonOf(status, diag string) Reason {
	if r := decisiveStatus(status); r != "" {
		return r
	}
	low := strings.ToLower(diag)
	if r := orangeReason(low); r != "" {
		// Orange's and La Poste's own codes say why whatever the
		// status: OFR_506, a refusal as spam, comes under 5.2.0.
		return r
	}
	for _, p := range reasonPhrases {
		if !hasAny(low, p.words) {
			continue
		}
		if p.reason.Fault() == FaultRecipient && syntaxReply(diag) && !strings.HasPrefix(status[min(2, len(status)):], "1.") {
			// 500 to 504 answer a command we wrote badly (RFC 5321
			// section 4.2.2) unless the status says it was the
			// destination address: qmail's "501 5.0.0 Invalid
			// domain name" is about our command, not their domain.
			return ReasonSyntaxError
		}
		if p.reason.Fault() == FaultRecipient && status[min(2, len(status)):] == "1.0" {
			// X.1.0 is "something about an address", which may be
			// ours. It does not say the recipient's address is gone,
			// whatever the words.
			return ReasonOnHold
		}
		if p.reason.Fault() == FaultRecipient && strings.HasPrefix(status[min(2, len(status)):], "2.") {
			// X.2.X is mailbox status (RFC 3463 section 3.3): the
			// address exists, whatever the words say. "550 5.2.0
			// Unknown user" is a filter; "5.2.1 … User Unknown" a
			// mailbox that is not taking mail (unless the session
			// shows otherwise: byPhase).
			if status[2:] == "2.1" {
				return ReasonSuspend
			}
			return ReasonFiltered
		}
		return p.reason
	}
	if r := statusReason(status); r != "" {
		return r
	}
	if syntaxReply(diag) {
		return ReasonSyntaxError // "504 Command parameter not implemented"
	}
	if strings.TrimSpace(diag) != "" {
		return ReasonOnHold
	}
	return ReasonUndefined
}

// syntaxReply says whether the server's reply code is one of RFC 5321's
// syntax and sequence errors.
func syntaxReply(diag string) bool {
	code := smtpReply(diag)
	return code >= "500" && code <= "504"
}

// decisiveStatus is the reason for the codes that say one thing only.
func decisiveStatus(status string) Reason {
	if len(status) < 5 {
		return ""
	}
	switch detail := status[2:]; {
	case detail == "2.2":
		return ReasonMailboxFull
	case detail == "2.3":
		return ReasonExceedLimit
	case detail == "3.4":
		return ReasonMesgTooBig
	case detail == "1.6":
		return ReasonHasMoved
	case detail == "1.7", detail == "1.8": // our envelope sender's address is bad
		return ReasonRejected
	case detail == "1.10":
		return ReasonNotAccept
	case detail == "7.25": // RFC 7372 section 3.3: reverse DNS validation failed
		return ReasonRequirePTR
	case detail == "7.20", detail == "7.21", detail == "7.22", detail == "7.23", detail == "7.24", detail == "7.26", detail == "7.29":
		return ReasonAuthFailure // RFC 7372 sections 3.1, 3.2, 3.4; RFC 8617 (ARC)
	case strings.HasPrefix(detail, "7.6") && len(detail) == 5: // Microsoft: 5.7.606 to 5.7.649, banned sending IP
		return ReasonBlocked
	}
	return ""
}

// statusReason reads a code no wording explained, by its subject and
// detail (RFC 3463 section 3, and the IANA registry of RFC 5248).
func statusReason(status string) Reason {
	if len(status) < 5 {
		return ""
	}
	switch status[2:] {
	case "1.1", "1.3":
		return ReasonUserUnknown
	case "1.2":
		return ReasonHostUnknown
	case "7.27": // our envelope sender's domain has a null MX (RFC 7505)
		return ReasonRejected
	case "2.0":
		return ReasonFiltered
	case "2.1", "7.13": // mailbox disabled; user account disabled
		return ReasonSuspend
	case "3.1":
		return ReasonSystemFull
	case "3.2":
		return ReasonNotAccept
	case "4.4":
		return ReasonHostUnknown
	case "4.7":
		return ReasonExpired
	case "7.28":
		return ReasonSpeeding
	}
	switch status[2:4] {
	case "2.", "3.":
		return ReasonSystemError
	case "4.":
		return ReasonNetworkErr
	case "5.":
		return ReasonSyntaxError
	case "6.":
		return ReasonContentError
	case "7.":
		return ReasonSecurityError
	}
	return ""
}

// reasonPhrases are the words servers use for each reason, tried in
// order: a reason about us before one about the address, because a server
// refusing our IP often dresses it in the recipient's address ("550 5.7.1
// <kim@…>: Client host rejected"), and mailbox full before anything, as
// its wording ("mailbox for user is full") names the user too. Lower case.
var reasonPhrases = []struct {
	reason Reason
	words  []string
}{
	// Exchange Online's directory-based edge blocking: the address is not
	// in the organisation's directory, said in words that would read as
	// a refusal of us.
	{ReasonUserUnknown, []string{"recipient address rejected: access denied"}},
	// Directories that say the name is not in them, in words that would
	// otherwise read as a block list ("listed in"): Lotus Domino and
	// Notes; and Exchange 2003's X.400 wording; and IMail's.
	{ReasonUserUnknown, directoryPhrases},
	// cPanel's Exim guesses rather than says: "The account or domain may
	// not exist, they may be blacklisted, or missing the proper dns
	// entries." None of the three is sure, so none is taken, and the
	// block list it names cannot pause list mail.
	{ReasonOnHold, []string{"account or domain may not exist"}},
	// The local delivery program's own complaint, in whatever words
	// ("procmail: Couldn't create …: No such user"): the mailbox
	// server failed, the address was taken.
	{ReasonMailerError, []string{"procmail:"}},
	// Facebook refuses for the person's own settings, under 5.1.1.
	{ReasonFiltered, []string{"refused due to recipient preferences"}},
	{ReasonMailboxFull, []string{"mailbox full", "mailbox is full", "over quota", "quota exceeded", "exceeded storage",
		"out of storage", "mailfolder is full", "exceed the quota", "exceeds quota", "user is over", "storage space",
		"mailbox size limit", "insufficient disk space in mailbox", "too much mail", "mailbox exceeded"}},
	{ReasonExceedLimit, []string{"limit set by recipient", "recipsizelimit", "message too large for this recipient"}},
	{ReasonMesgTooBig, []string{"message too large", "message too big", "message size exceeds", "line limit exceeded",
		"exceeds the maximum size", "message is too large", "size limit"}},
	// Postfix's "server refused to talk to me: 421 …" is the greeting
	// refused to our IP; its "delivery temporarily suspended" before it is
	// Postfix pausing that destination, not the recipient's account.
	{ReasonBlocked, []string{"refused to talk to me"}},
	// Outlook.com's refusal of our IP ("SC-004 … Unfortunately,
	// messages from 192.0.2.1 weren't sent"); and a server that broke
	// off the session with us ("Remote protocol error", old Sendmail),
	// which says nothing of the recipient and sisimai counts as a block.
	{ReasonBlocked, []string{"unfortunately, messages from", "remote protocol error"}},
	{ReasonSuspend, []string{"account suspended", "account has been suspended", "account is suspended", "mailbox suspended",
		"user suspended", "account disabled", "disabled recipient", "is disabled", "is inactive", "has been disabled", "mailbox disabled",
		"account has been locked", "temporary locked", "temporarily locked", "account is locked", "is frozen",
		"account is blocked", "inactive account", "account is inactive", "mailbox is inactive", "not activated"}},
	{ReasonHasMoved, []string{"no longer on server", "has moved", "not our customer", "not our user", "no longer available"}},
	{ReasonNoRelaying, []string{"relay access denied", "relaying denied", "not configured to relay", "relay not permitted", "not permitted to relay",
		"unable to relay", "relaying not allowed", "relaying is not allowed", "address is not verified", "we do not relay"}},
	{ReasonAuthFailure, []string{"dmarc", "spf", "dkim", "unauthenticated email", "sender is unauthenticated",
		"does not have authentication information", "authentication checks"}},
	{ReasonRequirePTR, []string{"reverse dns", "ptr record", "ptr resource record", "rdns", "ip name lookup failed",
		"mismatches client ip", "reverse lookup", "no reverse"}},
	{ReasonBadReputation, []string{"reputation", "user complaints"}},
	{ReasonTooManyConn, []string{"too many recipients"}},
	{ReasonNotCompliantRFC, []string{"rfc 5322", "rfc5322", "rfc 2822", "multiple addresses in from", "duplicate header",
		"multiple subject", "not rfc compliant"}},
	// An address in our message that the server could not parse (Exim:
	// "recipient addresses that were incorrectly constructed: … malformed
	// address").
	{ReasonSyntaxError, []string{"malformed address", "incorrectly constructed"}},
	{ReasonContentError, []string{"headers too large", "8-bit data", "8bit data", "improper use of"}},
	{ReasonVirusDetected, []string{"virus", "malware", "infected"}},
	{ReasonSecurityError, []string{"authentication required", "smtp authentication", "unauthenticated senders", "authrequired", "access denied",
		"must authenticate", "advertise auth"}},
	{ReasonPolicyViolation, []string{"policy reasons", "denied by policy", "policy violation", "content presents a potential",
		"network not allowed", "message not allowed", "header error", "prohibited by policy", "protocol violation"}},
	// A block list's name and wording before "spam": "blocked using
	// zen.spamhaus.org" is about our IP, not the message.
	{ReasonBlocked, []string{"blocked using", "client host blocked", "client host rejected", "spamhaus", "dnsbl",
		"banned sending ip", "blacklisted", "blocklisted"}},
	{ReasonSpamDetected, []string{"spam", "content rejected", "junk mail", "bulk mail", "unsolicited"}},
	{ReasonRejected, []string{"sender address rejected", "unroutable sender", "sender rejected", "sender denied",
		"from: domain is invalid", "purported responsible address", "sending to/from an address", "sender verify failed",
		"invalid sender", "sender domain", "permission to post", "not a registered gateway user"}},
	{ReasonTooManyConn, []string{"too many connections", "too many concurrent", "connection limit", "too many sessions"}},
	{ReasonSpeeding, []string{"rate limit", "ratelimit", "rate-limit", "too many messages", "sending too fast", "too fast",
		"relay quota", "sending quota", "too much volume", "frequency limited", "receiving mail at a rate"}},
	{ReasonBlocked, []string{"blocked", "blacklisted", "blocklisted", "block list", "blocklist", "blacklist", "dnsbl",
		"client host rejected", "banned sending ip", "service refuse", "please use the smtp server of your isp",
		"invalid ip for sending", "listed at", "listed in", "ip address is not allowed", "not allowed to send"}},
	{ReasonNotAccept, []string{"null mx", "does not accept mail", "doesn't receive email", "no smtp service", "no mx record",
		"couldn't find a mail exchanger", "not accepting mail", "no mail exchanger"}},
	{ReasonNetworkErr, []string{"host not found, try again", "routing loop", "too many hops", "hop count", "lost connection",
		"malformed or unexpected name server", "dns error", "temporary lookup failure"}},
	// DragonFly bounces only on a permanent failure, and writes "DNS
	// lookup failure: host … not found" for a domain the DNS says does
	// not exist (a temporary one is retried until it gives up).
	{ReasonHostUnknown, []string{"dns lookup failure: host "}},
	{ReasonHostUnknown, []string{"host unknown", "unknown host", "host or domain name not found", "no such domain",
		"couldn't find any host", "unrouteable address", "domain is not reachable", "invalid domain", "domain not found",
		"domain does not exist", "no such host", "domain name not found", "bad destination system address"}},
	{ReasonUserUnknown, []string{"user unknown", "unknown user", "no such user", "no such mailbox", "no such recipient",
		"mailbox unavailable", "mailbox not found", "mailbox does not exist", "does not exist", "doesn't exist", "not exist",
		"invalid recipient", "unknown recipient", "recipient unknown", "recipient not found",
		"couldn't be found", "could not be found", "user not found", "address not found", "invalid mailbox",
		"not a valid mailbox", "bad destination mailbox", "doesn't have a", "unknown or illegal alias", "no mailbox",
		"undeliverable address", "account that you tried to reach", "no such address",
		"addressee unknown", "not our domain"}},
	{ReasonExpired, []string{"retry timeout exceeded", "message expired", "queue.expired", "in the queue too long",
		"connection timed out", "did not accept our requests to connect", "delivery time expired", "timed out",
		"retry time", "giving up", "envelope expired"}},
	{ReasonSystemFull, []string{"disk full", "insufficient system storage", "system storage", "disk quota"}},
	{ReasonMailerError, []string{"procmail", "command died", "mailer error", "program exited"}},
	{ReasonFailedSTARTTLS, []string{"starttls", "support tls", " tls "}},
	{ReasonSystemError, []string{"system error", "internal error", "configuration error", "mail system problem",
		"server error", "local error", "service currently unavailable", "transaction failed", "unable to contact",
		"insufficient disk space", "could not load"}},
}
