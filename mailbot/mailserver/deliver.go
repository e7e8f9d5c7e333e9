package mailserver

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
)

// envelope is what delivery knows about how a message arrived.
type envelope struct {
	helo     string // the client's EHLO/HELO name
	remoteIP string
	loopback bool   // loopback senders count as authenticated in try-it mode
	from     string // envelope sender; "" is the null sender
}

// stamp returns msg with CRLF line endings (IMAP clients expect them) under
// the trace headers a receiving MTA would prepend.
func stamp(env envelope, hostname string, now time.Time, msg []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(msg) + 256)
	fmt.Fprintf(&b, "Return-Path: <%s>\r\n", env.from)
	if env.loopback {
		// The bot trusts Authentication-Results whose authserv-id is the
		// configured hostname, so this header is what makes try-it mode work.
		// The null sender has no mailfrom to report.
		if env.from == "" {
			fmt.Fprintf(&b, "Authentication-Results: %s; auth=pass\r\n", hostname)
		} else {
			fmt.Fprintf(&b, "Authentication-Results: %s; auth=pass smtp.auth=%s smtp.mailfrom=%s\r\n", hostname, env.from, env.from)
		}
	}
	fmt.Fprintf(&b, "Received: from %s (%s) by %s with ESMTP; %s\r\n",
		env.helo, env.remoteIP, hostname, now.Format(time.RFC1123Z))
	b.Write(normaliseCRLF(msg))
	return b.Bytes()
}

// normaliseCRLF turns bare LF line endings into CRLF, leaving existing CRLF
// alone, so a message written with Unix line endings still parses over IMAP.
func normaliseCRLF(msg []byte) []byte {
	if bytes.Count(msg, []byte("\n")) == bytes.Count(msg, []byte("\r\n")) {
		return msg
	}
	out := make([]byte, 0, len(msg)+bytes.Count(msg, []byte("\n")))
	for i, c := range msg {
		if c == '\n' && (i == 0 || msg[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// mailboxKey maps an address to the mailbox it delivers to: lower-cased, with
// any +tag dropped from the local part, because the bot hands out plus-address
// tokens in Reply-To and expects the replies in its own INBOX.
func mailboxKey(addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">")
	if err := checkHeaderValue(addr); err != nil {
		return "", err
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", errors.New("address must be local@domain")
	}
	local, domain := addr[:at], addr[at+1:]
	if plus := strings.IndexByte(local, '+'); plus > 0 {
		local = local[:plus]
	}
	return strings.ToLower(local + "@" + domain), nil
}

// loginKey maps an IMAP login name to its mailbox. Only case is folded: a
// client logging in with a +tag gets that literal mailbox, as on a real server.
func loginKey(username string) string {
	return strings.ToLower(strings.TrimSpace(username))
}

// checkHeaderValue refuses values that would break out of a trace header.
func checkHeaderValue(v string) error {
	if strings.ContainsAny(v, "\r\n") {
		return errors.New("contains a line break")
	}
	return nil
}
