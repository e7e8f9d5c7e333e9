package understand

// Abuse feedback reports (ARF, RFC 5965): a mailbox provider telling us
// that one of its users marked our message as spam. Gmail and Yahoo
// require bulk senders to honour them, and a list server that does not
// soon has no reputation left to send with.

import (
	"bytes"
	"strings"

	"github.com/emersion/go-message"
)

// Complaint is what a feedback report says.
type Complaint struct {
	// FeedbackType is the report's Feedback-Type, lower case: "abuse",
	// "fraud", "virus", "other", "not-spam", "auth-failure" (RFC 5965
	// section 7.3, RFC 6591).
	FeedbackType string
	UserAgent    string // the feedback loop that sent it, one line
	// Recipients are the addresses the report says got the message:
	// Original-Rcpt-To, else the returned message's To. Providers often
	// redact them; never trust them alone (see ReadComplaint).
	Recipients []string
	MessageID  string // the returned message's, without angle brackets
	// Returned is the returned message's header as it came, where our
	// own per-recipient tokens (Return-Path, List-Unsubscribe) are.
	Returned []byte
}

// ByPerson says whether the report is a person's complaint about the
// message, which takes them off the list: not an authentication failure
// report, nor a "this is not spam".
func (c Complaint) ByPerson() bool {
	switch c.FeedbackType {
	case "abuse", "fraud", "other", "":
		return true
	}
	return false
}

// ReadComplaint reads raw as a feedback report: a message with a
// message/feedback-report part (RFC 5965 section 2; some loops leave out
// the multipart/report's report-type). ok is false for anything else.
//
// Like a bounce, anyone can write one naming any address. Act on it only
// for a message of ours it proves, by a token of ours it carries back.
func ReadComplaint(raw []byte) (c Complaint, ok bool) {
	e, _ := message.Read(bytes.NewReader(raw))
	if e == nil {
		return Complaint{}, false
	}
	rr := &reportReader{statusLeft: maxBounceText, textLeft: maxBounceText, htmlLeft: maxBounceText}
	rr.walk(e, 0)
	if rr.feedback == nil {
		return Complaint{}, false
	}
	seen := map[string]bool{}
	addRcpt := func(v string) {
		if a := cleanAddress(v); a != "" && !seen[a] && len(c.Recipients) < maxBounces {
			seen[a] = true
			c.Recipients = append(c.Recipients, a)
		}
	}
	for _, block := range fieldBlocks(rr.feedback) {
		fs := block.Fields()
		for fs.Next() {
			switch fs.Key() {
			case "Feedback-Type":
				if c.FeedbackType == "" {
					c.FeedbackType = strings.ToLower(firstWord(fs.Value()))
				}
			case "User-Agent":
				if c.UserAgent == "" {
					c.UserAgent = cleanDiagnostic(fs.Value())
				}
			case "Original-Rcpt-To":
				addRcpt(fs.Value())
			}
		}
	}
	c.Returned = rr.returned
	c.MessageID = returnedMessageID(rr.returned)
	if len(c.Recipients) == 0 && len(rr.returned) > 0 {
		h := ReturnedHeader(rr.returned)
		if to, err := h.AddressList("To"); err == nil {
			for _, a := range to {
				addRcpt(a.Address)
			}
		}
	}
	return c, true
}
