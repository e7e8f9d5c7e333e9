package understand

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Prefs is when and where a drop-in would suit someone. The zero value is
// "any time, anywhere".
type Prefs struct {
	Weekdays    []time.Weekday // only these days
	NotWeekdays []time.Weekday
	Months      []time.Month // only these months
	NotMonths   []time.Month
	NotOn       []Pattern // days ruled out: "anything except the 24th"
	After       int       // minutes after midnight the slot may start from; 0: any
	Before      int       // minutes after midnight the slot must start before; 0: any
	// Place is a drop-in location named as wanted ("a one-to-one at
	// County Hall"); InPerson rules out the phone and video ("not on the
	// phone please", "face to face"); Remote asks for them.
	Place            string
	InPerson, Remote bool
	// NotPlaces are the place words of locations ruled out ("but not
	// Weymouth, too far").
	NotPlaces []string
}

var (
	inPersonWords = mustKeyed(`\b(in person|face to face|face-to-face|not (on|by|over) the (tele)?phone|not by (tele)?phone|no (phone|video|zoom|teams)|not (on )?(video|zoom|teams|a video call))\b`)
	remoteWords   = mustKeyed(`\b((by|on|over) (the )?(tele)?phone|(a |by )?video call|on (zoom|teams)|by video)\b`)
)

// placesIn reads which of the drop-in locations s asks for, and whether
// it rules the phone and video out or asks for them.
func (p *Prefs) placesIn(s string, locations []string) {
	p.InPerson = inPersonWords.MatchString(s)
	p.Remote = !p.InPerson && remoteWords.MatchString(s)
	for _, l := range locations {
		name := roomName(l)
		if i := strings.Index(s, name); name != "" && i >= 0 && !refused(s, i, i+len(name)) {
			p.Place = l
			return
		}
	}
}

// remote reports whether a location is the phone or a video call.
func remote(location string) bool {
	l := strings.ToLower(location)
	return strings.Contains(l, "phone") || strings.Contains(l, "video") || strings.Contains(l, "online") ||
		strings.Contains(l, "teams") || strings.Contains(l, "zoom")
}

// whenName is a month or a weekday, as a preference names it.
const whenName = `(january|february|march|april|may|june|july|august|september|october|november|december|mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|sundays?)`

var (
	partOfDay  = regexp.MustCompile(`\b(morning|afternoon|evening)s?\b`)
	afterTime  = regexp.MustCompile(`\b(after|from|later than|not before)\s+(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.?|p\.m\.?|o'?clock)?`)
	beforeTime = regexp.MustCompile(`\b(before|by|earlier than|not after|until)\s+(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.?|p\.m\.?|o'?clock)?`)
	// "not in July", and a list closed by "or", "and" or "nor": "not in
	// June, July or August" refuses all three (group 2 the rest). Without
	// the closing word a comma starts something else: "not July, August
	// would be better".
	notWhen = regexp.MustCompile(`\b(?:not|isn'?t|aren'?t|except|but not|apart from|no|can'?t do|cannot do|any ?day but|anything but|any time but|anytime but)\s+(?:in\s+|on\s+|during\s+)?(?:a\s+)?(?:any\s+)?` + whenName +
		`\b((?:\s*,\s*(?:in\s+|on\s+)?` + whenName + `\b)*\s*,?\s+(?:or|and|nor)\s+(?:in\s+|on\s+)?(?:a\s+)?` + whenName + `\b)?`)
	whenNames = regexp.MustCompile(whenName)
	dayWanted = regexp.MustCompile(`\b(mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|sundays?)\b`)
	monthIn   = regexp.MustCompile(`\b(?:in|during)\s+(january|february|march|april|may|june|july|august|september|october|november|december)\b`)
)

// greets reports whether the part of the day at s[at:end] opens a line as
// a greeting ("Morning,", "Good afternoon all!") with more words after
// it: no wish for a time. "Mornings" is never one, nor "Morning" alone.
func greets(s string, at, end int) bool {
	line := strings.TrimRight(s[strings.LastIndexByte(s[:at], '\n')+1:at], " \t")
	m := greetingAfter.FindStringIndex(s[end:])
	return (line == "" || line == "good") && m != nil && strings.ContainsFunc(s[end+m[1]:], unicode.IsLetter)
}

var greetingAfter = regexp.MustCompile(`^(?:\s+(?:all|everyone|everybody|both|folks|there|team|jo|sam|to you))?\s*(?:[,!]|\.?\s*\n)`)

// datedAfter, after a weekday or a month, makes it part of a date: "Thursday
// the 24th", "July 15th".
var datedAfter = regexp.MustCompile(`^,?\s+(?:the\s+)?\d{1,2}(?:st|nd|rd|th)?\b`)

// timeSuits is a time of day said to suit: "10.30 would suit me best",
// "2pm is best for me".
var timeSuits = regexp.MustCompile(`\b(1[0-2]|0?[1-9])(?:[.:]([0-5][0-9]))?\s*(am|pm|a\.m\.|p\.m\.)?\s+(?:would|will|'d)?\s*(?:suit|suits|be best|is best|be ideal|is ideal|be perfect|is perfect|works best|would work best)\b`)

// preferredBefore, before a part of the day, says it is the one wanted:
// "preferably an afternoon", "ideally in the morning".
var preferredBefore = regexp.MustCompile(`\b(?:preferably|ideally|i'?d prefer|i would prefer|we'?d prefer|best in|better in|rather have)\s+(?:an?\s+|the\s+|in\s+the\s+|on\s+an?\s+)?$`)

// preferredAfter, after a part of the day, says it is the one wanted.
var preferredAfter = regexp.MustCompile(`^s?\s*(?:are|is|would be|'d be|will be)?\s*(?:best|better|ideal|preferred|perfect)\b|^s?\s+only\b|^s?\s*(?:suit|suits|work|works) (?:me|us) (?:best|better)\b`)

// findPrefs reads when and where someone would like a drop-in, of the
// drop-in locations given.
func findPrefs(s string, locations []string) Prefs {
	var p Prefs
	p.placesIn(s, locations)
	has := cluesIn(s)
	// Each wish is read with the words around it: "not mornings",
	// "mornings are no good" and "after 2pm is no good" say when not.
	// A part of the day refused anywhere is not wished for where it is
	// only mentioned: "not a morning one, mornings are when the carers
	// come in".
	// And one said to be best is the wish, over another only mentioned:
	// "afternoons are best for me as the wife has her carers in the
	// morning".
	parts := slices.DeleteFunc(partOfDay.FindAllStringSubmatchIndex(s, -1), func(loc []int) bool { return greets(s, loc[0], loc[1]) })
	refusedPart, preferredPart := map[string]bool{}, map[string]bool{}
	anyPreferred := false
	for _, loc := range parts {
		part := s[loc[2]:loc[3]]
		refusedPart[part] = refusedPart[part] || refused(s, loc[0], loc[1])
		preferredPart[part] = preferredPart[part] || preferredAfter.MatchString(s[loc[1]:]) || preferredBefore.MatchString(s[max(0, loc[0]-32):loc[0]])
		anyPreferred = anyPreferred || preferredPart[part]
	}
	for _, loc := range parts {
		neg := refusedPart[s[loc[2]:loc[3]]]
		if !neg && anyPreferred && !preferredPart[s[loc[2]:loc[3]]] {
			continue
		}
		switch s[loc[2]:loc[3]] {
		case "morning":
			if neg {
				p.After = max(p.After, 12*60)
			} else {
				p.Before = 12 * 60
			}
		case "afternoon":
			if neg {
				p.Before = 12 * 60
			} else {
				p.After, p.Before = 12*60, 17*60
			}
		case "evening":
			if neg {
				p.Before = 17 * 60
			} else {
				p.After = 17 * 60
			}
		}
	}
	// Times need digits, and the rest a day's or a month's name (see clues).
	if has.digits {
		for _, loc := range afterTime.FindAllStringSubmatchIndex(s, -1) {
			t := clock(sub(s, loc, 2), sub(s, loc, 3), sub(s, loc, 4))
			switch word := sub(s, loc, 1); {
			case word == "after" && strings.HasSuffix(s[:loc[0]], "not "):
				// "not after 3" is beforeTime's
			case refused(s, loc[0], loc[1]) && word != "not before":
				p.Before = t // "after 2pm is no good"
			default:
				p.After = t
			}
		}
		for _, loc := range beforeTime.FindAllStringSubmatchIndex(s, -1) {
			t := clock(sub(s, loc, 2), sub(s, loc, 3), sub(s, loc, 4))
			switch word := sub(s, loc, 1); {
			case word == "before" && strings.HasSuffix(s[:loc[0]], "not "):
				// "not before 11" is afterTime's
			case refused(s, loc[0], loc[1]) && word != "not after":
				p.After = t // "before 11 is too early"
			case word == "not after":
				p.Before = t + 1 // a slot at that time still suits
			default:
				p.Before = t
			}
		}
		if m := timeSuits.FindStringSubmatch(s); m != nil && p.After == 0 && p.Before == 0 {
			// "10.30 would suit me best": that time, and no other.
			t := clock(m[1], m[2], m[3])
			p.After, p.Before = t, t+1
		}
	}
	if !has.day && !has.month {
		return p
	}
	negated := map[string]bool{}
	for _, loc := range notWhen.FindAllStringSubmatchIndex(s, -1) {
		m := []string{s[loc[0]:loc[1]], sub(s, loc, 1)}
		if datedAfter.MatchString(s[loc[1]:]) {
			// "except Thursday the 24th" rules out a day (NotOn), not
			// every Thursday.
			continue
		}
		for _, name := range whenNames.FindAllString(m[0], -1) {
			negated[name] = true
			if d, ok := weekdayOf(name); ok {
				p.NotWeekdays = append(p.NotWeekdays, d)
			} else {
				p.NotMonths = append(p.NotMonths, monthOf(name))
			}
		}
	}
	if has.day {
		for _, loc := range dayWanted.FindAllStringSubmatchIndex(s, -1) {
			name := sub(s, loc, 1)
			d, ok := weekdayOf(name)
			switch {
			case !ok || negated[name] || datedAfter.MatchString(s[loc[1]:]):
			case refused(s, loc[0], loc[1]):
				p.NotWeekdays = append(p.NotWeekdays, d) // "Thursdays are no good"
			default:
				p.Weekdays = append(p.Weekdays, d)
			}
		}
	}
	if has.month {
		for _, m := range monthIn.FindAllStringSubmatch(s, -1) {
			if !negated[m[1]] {
				p.Months = append(p.Months, monthOf(m[1]))
			}
		}
	}
	return p
}

// sub is submatch i of a match found with its index.
func sub(s string, loc []int, i int) string {
	if loc[2*i] < 0 {
		return ""
	}
	return s[loc[2*i]:loc[2*i+1]]
}

// clock turns "2", "30", "pm" into minutes after midnight. A bare hour from
// 1 to 7 means the afternoon: nobody asks for a drop-in "after 2" at night.
func clock(hour, minute, suffix string) int {
	h, _ := strconv.Atoi(hour)
	m, _ := strconv.Atoi(minute)
	switch {
	case len(suffix) > 0 && suffix[0] == 'p' && h < 12:
		h += 12
	case len(suffix) > 0 && suffix[0] == 'a' && h == 12:
		h = 0
	case suffix == "" && h >= 1 && h <= 7:
		h += 12
	}
	return min(h, 24)*60 + min(m, 59)
}

// Suits reports whether a slot starting at t, at location, fits the
// preferences.
func (p Prefs) Suits(t time.Time, location string) bool {
	mins := t.Hour()*60 + t.Minute()
	switch {
	case p.RulesOut(t, location),
		p.After > 0 && mins < p.After,
		p.Before > 0 && mins >= p.Before,
		len(p.Weekdays) > 0 && !contains(p.Weekdays, t.Weekday()),
		len(p.Months) > 0 && !contains(p.Months, t.Month()),
		p.Place != "" && !strings.EqualFold(p.Place, location),
		p.Remote && !remote(location):
		return false
	}
	return true
}

// RulesOut reports whether a slot starting at t, at location, is one the
// person said they can't do: a day, a month or a date ruled out, or the
// phone when they need to meet. What they only wished for is not ruled
// out by this: when nothing suits, the others may still be offered.
func (p Prefs) RulesOut(t time.Time, location string) bool {
	return contains(p.NotWeekdays, t.Weekday()) || contains(p.NotMonths, t.Month()) ||
		slices.ContainsFunc(p.NotOn, func(d Pattern) bool { return d.onDay(t) }) ||
		p.InPerson && remote(location) ||
		slices.ContainsFunc(p.NotPlaces, func(w string) bool { return atPlace(location, w) })
}

// Without is p less the month and weekday wishes that q, a group session
// booked, was named by: "a one-to-one on 1 July, and the one at Weymouth
// in August" wishes for no drop-in in August.
func (p Prefs) Without(q Pattern) Prefs {
	if q.Month != 0 {
		p.Months = slices.DeleteFunc(slices.Clone(p.Months), func(m time.Month) bool { return m == q.Month })
	}
	if q.HasDay {
		p.Weekdays = slices.DeleteFunc(slices.Clone(p.Weekdays), func(d time.Weekday) bool { return d == q.Weekday })
	}
	return p
}

// Any reports whether any preference was given.
func (p Prefs) Any() bool {
	return p.After > 0 || p.Before > 0 || len(p.Weekdays)+len(p.NotWeekdays)+len(p.Months)+len(p.NotMonths)+len(p.NotOn)+len(p.NotPlaces) > 0 ||
		p.Place != "" || p.InPerson || p.Remote
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
