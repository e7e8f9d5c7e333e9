package desk

import (
	"testing"

	"github.com/betterdays/mailbot/mailbot/understand"
)

// The record keeps an outcome's words, and people read them there: each
// Did must still be written as it was when outcomes were strings.
func TestOutcomeString(t *testing.T) {
	unproven := understand.Handoff{Why: understand.Unproven}
	acted := Replied.Of("book").doing([]string{"booked bd-2027-01"}).With(", urgent: passed to the other staff")
	acted.For = "ann@example.org (staff jo@example.org)"
	for _, tc := range []struct {
		o    Outcome
		want string
	}{
		{Replied.Of("book").doing([]string{"booked bd-2027-01", "passed to staff"}), "replied: book (booked bd-2027-01, passed to staff)"},
		{Replied.Of("help").doing(nil), "replied: help"},
		{Replied.Of("holding").passedOn(unproven), "replied: holding, passed to staff (" + unproven.String() + ")"},
		{acted, "for ann@example.org (staff jo@example.org): replied: book (booked bd-2027-01), urgent: passed to the other staff"},
		{Ignored.Of("automatic (%s)", "auto-replied"), "ignored: automatic (auto-replied)"},
		{NotAnswered.Of("thanks or an acknowledgement"), "not answered: thanks or an acknowledgement"},
		{PassedOn.Of("(%s), not answered", unproven.String()), "passed to staff (" + unproven.String() + "), not answered"},
		{Left.Of("(List-Unsubscribe address); not answered: automatic"), "left the list (List-Unsubscribe address); not answered: automatic"},
		{CalendarNoted.Of("%s; nothing to do", "accepted bd-1"), "calendar reply: accepted bd-1; nothing to do"},
		{Bounce.Of("permanent failure %s", "5.1.1").With("; no more mail to it until they write"), "bounce: permanent failure 5.1.1; no more mail to it until they write"},
		{Complaint.Of("(%s) from person %d: off the mailing list", "abuse", 3), "complaint (abuse) from person 3: off the mailing list"},
		{Recorded.Of("delivery report about no message of ours"), "recorded: delivery report about no message of ours"},
		{Outcome{Did: Duplicate}, "duplicate"},
		{Outcome{}, ""},
	} {
		if got := tc.o.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.o, got, tc.want)
		}
	}
}
