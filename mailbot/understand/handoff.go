package understand

import (
	"regexp"
	"slices"
	"strings"
)

// Handoff says why a message needs a person rather than (or as well as)
// the bot, or is "" when the bot can answer it alone.
type Handoff struct {
	// Urgent holds the words that suggest danger or distress, as found.
	// Such a message always goes to staff, whatever else it asks.
	Urgent []string
	// Why is a short reason for staff: "a question", "a complaint",
	// "not understood"; "" when the bot understood it all.
	Why string
}

// Needed reports whether staff should see the message.
func (h Handoff) Needed() bool { return len(h.Urgent) > 0 || h.Why != "" }

// String is the reason in a few words, for logs and records.
func (h Handoff) String() string {
	var why []string
	if len(h.Urgent) > 0 {
		why = append(why, "urgent: "+strings.Join(h.Urgent, ", "))
	}
	if h.Why != "" {
		why = append(why, h.Why)
	}
	return strings.Join(why, "; ")
}

// NeedsPerson reads text (the person's fresh words) beside what Read made
// of it, and says whether a person should see it. It errs towards a
// person: a bot that answers a worried carer with its help text has failed
// them.
func NeedsPerson(text string, r Request) Handoff {
	s := normalise(clip(text, maxRead))
	h := Handoff{Urgent: Urgent(text)}
	switch {
	case complaintWords.MatchString(s):
		h.Why = "a complaint"
	case r.Subscribe || r.Unsubscribe:
		// Read, and answered: the list is the bot's to run.
	case r.Action == Unknown && strings.TrimSpace(s) != "":
		h.Why = "not understood"
	case r.Action == Help && question(s):
		// "Hello, is there parking?" reads as a greeting: the question
		// is what they want answered.
		h.Why = "a question"
	}
	return h
}

// Urgent returns the words in text that suggest someone may be at risk,
// each once, in the order written.
func Urgent(text string) []string {
	var out []string
	for _, w := range urgentWords.FindAllString(normalise(clip(text, maxRead)), 8) {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// Excerpt is at most n bytes of s, cut at a character boundary: enough of
// someone's words to quote.
func Excerpt(s string, n int) string { return clip(s, n) }

// question reports whether s asks something other than how the bot works.
func question(s string) bool {
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '.' || r == '!' }) {
		line = strings.TrimSpace(line)
		if strings.HasSuffix(line, "?") || questionStart.MatchString(line) {
			if !helpQuestion.MatchString(line) {
				return true
			}
		}
	}
	return false
}

var (
	// urgentWords suggest someone may be at risk. A false alarm costs a
	// member of staff a minute; a missed one could cost far more.
	urgentWords    = regexp.MustCompile(`\b(emergency|urgent(ly)?|hurt(ing)?|injur(ed|y)|unsafe|not safe|(don'?t|do not|never) feel safe|danger(ous)?|suicid(e|al)|kill (my|him|her)self|end (my|it all|my life)|self[- ]harm|harm(ing)? (my|him|her)self|abus(e|ed|ive)|hit me|hits me|scared|frightened|afraid|threaten(ed|ing)?|police|ambulance|999|overdose|safeguarding|neglect(ed)?|can'?t cope|cannot cope|crisis|desperate)\b`)
	complaintWords = regexp.MustCompile(`\b(complain(t|ts|ing)?|disappointed|unacceptable|appalling|disgusted|disgraceful|rude|not happy|unhappy with|formal concern)\b`)
	questionStart  = regexp.MustCompile(`^(is|are|can|could|do|does|will|would|where|when|why|how|who|which|what|should|may)\b`)
	// helpQuestion asks how to use the bot, which its help text answers.
	helpQuestion = regexp.MustCompile(`\b(what can (i|you) do|how does (this|it) work|how do i (use|book|join|cancel)|can you help)\b`)
)
