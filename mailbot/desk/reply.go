package desk

import (
	"strings"

	"github.com/betterdays/mailbot/mailbot/calendar"
	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
)

// Reply is one message the bot owes someone, for the caller to render and
// queue.
type Reply struct {
	Kind      string // template name
	To        string
	ToName    string
	Subject   string
	InReplyTo *understand.Message // the message answered, for threading; nil for a new conversation
	Data      any
	Invites   []Invite     // calendar objects to attach
	Files     []File       // other files to attach
	Offer     *store.Offer // what a reply to this message may refer to; its Token goes in Reply-To
	// ReplyTo, for mail to staff about someone: where their reply goes.
	ReplyTo, ReplyToName string
	Original             []byte // a message passed on, attached as it came
}

// File is a file attached to a message: a copy of someone's data.
type File struct {
	Name, ContentType string
	Data              []byte
}

// Invite is one calendar object attached to a message.
type Invite struct {
	Method calendar.Method
	ICS    []byte
}

// DisplayName is how the bot signs its mail.
const DisplayName = "Better Days"

// ReplySubject is "Re: " and theirs, once, without our old reference:
// the message it goes on gets its own.
func ReplySubject(subject, fallback string) string {
	s := understand.WithoutSubjectRef(understand.OneLine(subject))
	switch {
	case s == "":
		return fallback
	case len(s) >= 3 && strings.EqualFold(s[:3], "re:"):
		return s
	default:
		return "Re: " + s
	}
}
