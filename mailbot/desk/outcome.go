package desk

import (
	"fmt"
	"strings"

	"github.com/betterdays/mailbot/mailbot/understand"
)

// Outcome is what became of one message. Its String is what is kept with
// the message and read by people, in the database and in a subject-access
// export, so its words stay as they have always been written.
type Outcome struct {
	Did    Did
	Detail string // in words: "book (booked bd-2027-01)"
	// For is whom a member of staff had it done for, and who asked:
	// "ann@example.org (staff jo@example.org)"; "" for the writer.
	For string
}

// Did is what was done with a message, in short. The zero Did is no
// outcome: a flow that leaves the message to the next returns it.
type Did int

const (
	Replied       Did = iota + 1 // an answer was sent
	Ignored                      // mail the bot must not answer: its own, automatic, no sender
	NotAnswered                  // read, and rightly left without an answer
	PassedOn                     // passed to staff, with no answer: what it asks can't be done
	Left                         // left the list by our List-Unsubscribe address, unanswered
	CalendarNoted                // a calendar's answer read, with nothing to do
	Bounce                       // a delivery report of ours, counted against the person
	Complaint                    // an abuse report that took the person off the list
	Recorded                     // a report kept that counts against nobody
	Duplicate                    // handled before: nothing done again
)

// heads are the words each Did starts with on the record.
var heads = [...]string{
	Replied:       "replied: ",
	Ignored:       "ignored: ",
	NotAnswered:   "not answered: ",
	PassedOn:      "passed to staff ",
	Left:          "left the list ",
	CalendarNoted: "calendar reply: ",
	Bounce:        "bounce: ",
	Complaint:     "complaint ",
	Recorded:      "recorded: ",
	Duplicate:     "duplicate",
}

// Of is the outcome d, said as format says.
func (d Did) Of(format string, args ...any) Outcome {
	return Outcome{Did: d, Detail: fmt.Sprintf(format, args...)}
}

// With adds to what o says, as format says, its separator included.
func (o Outcome) With(format string, args ...any) Outcome {
	o.Detail += fmt.Sprintf(format, args...)
	return o
}

// passedOn says the message also went to staff, and why.
func (o Outcome) passedOn(h understand.Handoff) Outcome {
	return o.With(", passed to staff (%s)", h.String())
}

// doing adds what the turn did, as it noted it.
func (o Outcome) doing(did []string) Outcome {
	if len(did) == 0 {
		return o
	}
	return o.With(" (%s)", strings.Join(did, ", "))
}

func (o Outcome) String() string {
	var s string
	if o.For != "" {
		s = "for " + o.For + ": "
	}
	return s + heads[o.Did] + o.Detail
}
