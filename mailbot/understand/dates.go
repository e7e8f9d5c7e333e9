package understand

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The date forms people write, British order first. Each is matched on
// lower-cased text; a match is blanked out so its digits are not read again
// as a list number or a number of places.
const (
	monthRe   = `(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?`
	weekdayRe = `(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)\.?`
	dayRe     = `(3[01]|[12][0-9]|0?[1-9])(?:st|nd|rd|th)?`
	yearRe    = `(20[2-9][0-9])`
)

var (
	// "Thursday 15th July 2027", "15 July", "the 15th of July"
	dayMonth = regexp.MustCompile(`\b(?:` + weekdayRe + `,?\s+)?(?:the\s+)?` + dayRe + `\s+(?:of\s+)?` + monthRe + `(?:,?\s+` + yearRe + `)?\b`)
	// "July 15th", "Thursday, July 15"
	monthDay = regexp.MustCompile(`\b(?:` + weekdayRe + `,?\s+)?` + monthRe + `\s+` + dayRe + `(?:,?\s+` + yearRe + `)?\b`)
	// "26/08", "26/8/27", "26.08.2027"
	numeric = regexp.MustCompile(`\b(3[01]|[12][0-9]|0?[1-9])[/.](1[0-2]|0?[1-9])(?:[/.]((?:20)?[2-9][0-9]))?\b`)
	// "29-06-2027": with dashes only with the year, so "2-3pm" is no date
	numericDashed = regexp.MustCompile(`\b(3[01]|[12][0-9]|0?[1-9])-(1[0-2]|0?[1-9])-((?:20)?[2-9][0-9])\b`)
	// "Wednesday the twenty-first of July", "the first of August"
	wordDayMonth = regexp.MustCompile(`\b(?:` + weekdayRe + `,?\s+)?(?:the\s+)?` + ordinalWordsRe + `\s+(?:of\s+)?` + monthRe + `(?:,?\s+` + yearRe + `)?\b`)
	// "Thursday 15th", "Thursday the 15th"
	weekdayDay = regexp.MustCompile(`\b` + weekdayRe + `,?\s+(?:the\s+)?(3[01]|[12][0-9]|0?[1-9])(?:st|nd|rd|th)\b`)
	// "next Tuesday", "this Thursday", "on Monday", "tomorrow"
	relative = regexp.MustCompile(`\b(next|this|coming|on)\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|\b(tomorrow|today)\b`)
	// "a fortnight today", "a week on Tuesday", "two weeks tomorrow"
	weeksAhead = regexp.MustCompile(`\b(a week|a fortnight|two weeks|2 weeks)\s+(today|tomorrow|on\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b`)
	// "the 15th"; "the 2nd one" is a list's second item, not a date
	ordinalDay = regexp.MustCompile(`\bthe\s+(3[01]|[12][0-9]|0?[1-9])(?:st|nd|rd|th)\b(?:\s+(one|option|slot|time)\b)?`)
	// "the start of July", "early August", "the last week of July"
	partOfMonth = regexp.MustCompile(`\b(start|beginning|first week|early part|first half|middle|second half|end|last week)\s+of\s+(january|february|march|april|may|june|july|august|september|october|november|december)\b|\b(early|mid|late)[- ]?(january|february|march|april|may|june|july|august|september|october|november|december)\b`)
	// "the August one", "in August", "August's session"; "May" and "March"
	// only where they can't be the verbs.
	monthOnly = regexp.MustCompile(`\b(?:the|in|during|for|of|on)\s+(january|february|march|april|may|june|july|august|september|october|november|december)\b|\b(january|february|april|june|july|august|september|october|november|december)(?:'s)?\b`)
	// "the Tuesday after", "the following Tuesday", "the week after":
	// after a date just named ("the 22nd is no good but the Tuesday after
	// would be"); "the Tuesday after next" counts from today instead.
	dayAfter = regexp.MustCompile(`\bthe\s+(?:following\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday)|(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\s+after|(week|day)\s+after)\b(?:\s+(?:that|it))?(\s+next)?`)
	// "Thursday", "Thursdays"
	weekdayOnly = regexp.MustCompile(`\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?\b`)
	// Negations belong to preferences ("not in July"), never to targets.
	notBefore = regexp.MustCompile(`\b(not|isn'?t|aren'?t|except|anything but|any ?day but|any time but|anytime but|other than|but not|apart from|no)\s+(?:in\s+|on\s+|during\s+)?(?:a\s+)?$`)
)

// ordinalWords are the days of the month as words: "first" to
// "thirty-first", the tens joined by a dash or a space.
var ordinalWords, ordinalWordsRe = func() (map[string]int, string) {
	units := []string{"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"}
	teens := []string{"tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth"}
	m := map[string]int{"twentieth": 20, "thirtieth": 30, "thirty-first": 31}
	for i, u := range units {
		m[u], m["twenty-"+u] = i+1, 21+i
	}
	for i, t := range teens {
		m[t] = 10 + i
	}
	words := make([]string, 0, len(m))
	for w := range m {
		words = append(words, strings.ReplaceAll(w, "-", "[- ]"))
	}
	// Longest first, so "twenty-first" is not read as "first".
	slices.SortFunc(words, func(a, b string) int { return len(b) - len(a) })
	return m, "(" + strings.Join(words, "|") + ")"
}()

// clues are what the date forms, and the preferences' days and months,
// need a text to have at all: digits, a month's name (each begins with one
// of monthStarts) or "day" (each weekday's name, and "today"). A regular
// expression with no literal prefix is tried at every byte of its text, so
// checking these first spares the scans that cannot match.
type clues struct{ digits, month, day bool }

func cluesIn(s string) clues {
	c := clues{digits: strings.ContainsAny(s, "0123456789"), day: strings.Contains(s, "day")}
	for _, m := range monthStarts {
		c.month = c.month || strings.Contains(s, m)
	}
	return c
}

// monthStarts are the first three letters of every month's name, which
// every way monthRe and monthOnly write a month begins with.
var monthStarts = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

var months = map[string]time.Month{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}

func monthOf(s string) time.Month {
	s = strings.TrimSuffix(s, ".")
	if len(s) > 3 && s != "sept" {
		s = s[:3]
	}
	return months[s]
}

var weekdays = map[string]time.Weekday{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

func weekdayOf(s string) (time.Weekday, bool) {
	s = strings.TrimSuffix(s, ".")
	if len(s) < 3 {
		return 0, false
	}
	d, ok := weekdays[s[:3]]
	return d, ok
}

// findDates returns the dates s names, in order, the days it rules out
// ("anything except the 24th"), and s with them blanked.
func findDates(s string, now time.Time, tz *time.Location) (dates, notOn []Pattern, rest string) {
	if tz == nil {
		tz = time.UTC
	}
	var out []Pattern
	var at int // where the match being built starts, for the forms that look back
	b := []byte(s)
	// Blanking only takes letters and digits away, so what s lacks b
	// lacks too.
	has := cluesIn(s)
	digits, month, day := has.digits, has.month, has.day || strings.Contains(s, "tomorrow")
	if month || day {
		// "Not in July or August": the rest of a list refused, which
		// notBefore does not see, names nothing wanted (findPrefs
		// rules them out).
		for _, loc := range notWhen.FindAllSubmatchIndex(b, -1) {
			if loc[4] >= 0 && !datedAfter.Match(b[loc[1]:]) {
				for i := loc[4]; i < loc[5]; i++ {
					b[i] = ' '
				}
			}
		}
	}
	take := func(re *regexp.Regexp, can bool, build func(m []string) (Pattern, bool)) {
		if !can {
			return
		}
		for _, loc := range re.FindAllSubmatchIndex(b, -1) {
			m := make([]string, len(loc)/2)
			for i := range m {
				if loc[2*i] >= 0 {
					m[i] = string(b[loc[2*i]:loc[2*i+1]])
				}
			}
			if strings.TrimSpace(m[0]) == "" {
				continue
			}
			at = loc[0]
			p, ok := build(m)
			if !ok {
				continue
			}
			p.Said = strings.TrimSpace(m[0])
			p.at, p.end = loc[0], loc[1]
			if notBefore.Match(b[max(0, loc[0]-24):loc[0]]) {
				if p.Day == 0 {
					continue
				}
				notOn = append(notOn, p)
			} else {
				out = append(out, p)
			}
			// Read and done with, refused or not: "except 15 July"
			// leaves no "July" to be read again as wanted.
			for i := loc[0]; i < loc[1]; i++ {
				b[i] = ' '
			}
		}
	}
	dayNum := func(s string) int { n, _ := strconv.Atoi(s); return n }
	withWeekday := func(p *Pattern, w string) {
		if d, ok := weekdayOf(w); ok {
			p.Weekday, p.HasDay = d, true
		}
	}
	take(dayMonth, digits && month, func(m []string) (Pattern, bool) {
		p := Pattern{Day: dayNum(m[2]), Month: monthOf(m[3])}
		withWeekday(&p, m[1])
		p.Year = dayNum(m[4])
		return p, p.Month != 0
	})
	take(monthDay, digits && month, func(m []string) (Pattern, bool) {
		p := Pattern{Month: monthOf(m[2]), Day: dayNum(m[3])}
		withWeekday(&p, m[1])
		p.Year = dayNum(m[4])
		return p, p.Month != 0
	})
	take(wordDayMonth, month, func(m []string) (Pattern, bool) {
		p := Pattern{Day: ordinalWords[strings.ReplaceAll(m[2], " ", "-")], Month: monthOf(m[3])}
		withWeekday(&p, m[1])
		p.Year = dayNum(m[4])
		return p, p.Month != 0 && p.Day != 0
	})
	numericDate := func(m []string) (Pattern, bool) {
		p := Pattern{Day: dayNum(m[1]), Month: time.Month(dayNum(m[2]))}
		if y := dayNum(m[3]); y > 0 {
			if y < 100 {
				y += 2000
			}
			p.Year = y
		}
		return p, true
	}
	take(numeric, digits, numericDate)
	take(numericDashed, digits, numericDate)
	take(weekdayDay, digits, func(m []string) (Pattern, bool) {
		p := Pattern{Day: dayNum(m[2])}
		withWeekday(&p, m[1])
		return p, true
	})
	take(weeksAhead, day, func(m []string) (Pattern, bool) {
		day := now.In(tz)
		switch {
		case m[2] == "tomorrow":
			day = day.AddDate(0, 0, 1)
		case m[3] != "":
			want, _ := weekdayOf(m[3])
			day = day.AddDate(0, 0, (int(want)-int(day.Weekday())+7)%7)
		}
		weeks := 1
		if m[1] != "a week" {
			weeks = 2
		}
		day = day.AddDate(0, 0, 7*weeks)
		return Pattern{Year: day.Year(), Month: day.Month(), Day: day.Day()}, true
	})
	take(relative, day, func(m []string) (Pattern, bool) {
		today := now.In(tz)
		var day time.Time
		switch {
		case m[3] == "today":
			day = today
		case m[3] == "tomorrow":
			day = today.AddDate(0, 0, 1)
		default:
			want, _ := weekdayOf(m[2])
			ahead := (int(want) - int(today.Weekday()) + 7) % 7
			if ahead == 0 {
				ahead = 7 // "next Tuesday" said on a Tuesday is a week away
			}
			day = today.AddDate(0, 0, ahead)
		}
		// "Next Thursday" said on a Tuesday may be the day after
		// tomorrow or a week later: both fit.
		later := m[1] == "next" && day.Sub(today) < 7*24*time.Hour
		return Pattern{Year: day.Year(), Month: day.Month(), Day: day.Day(), OrWeekLater: later, aside: m[3] != ""}, true
	})
	take(ordinalDay, digits, func(m []string) (Pattern, bool) {
		return Pattern{Day: dayNum(m[1])}, m[2] == ""
	})
	take(partOfMonth, month, func(m []string) (Pattern, bool) {
		p := Pattern{Month: monthOf(m[2] + m[4])}
		p.DayFrom, p.DayTo = monthPart(m[1] + m[3])
		return p, p.Month != 0
	})
	take(monthOnly, month, func(m []string) (Pattern, bool) {
		name := m[1] + m[2]
		return Pattern{Month: monthOf(name)}, true
	})
	take(dayAfter, strings.Contains(s, "after") || strings.Contains(s, "following"), func(m []string) (Pattern, bool) {
		if m[4] != "" {
			// "The Tuesday after next": a week after next Tuesday.
			want, ok := weekdayOf(m[1] + m[2])
			today := now.In(tz)
			day := today.AddDate(0, 0, (int(want)-int(today.Weekday())+6)%7+1+7)
			return Pattern{Year: day.Year(), Month: day.Month(), Day: day.Day()}, ok
		}
		// After the date written last before it, wanted or not ("not
		// the 22nd, the following Tuesday").
		said := slices.Concat(out, notOn)
		i := -1
		for j, p := range said {
			if p.end <= at && (i < 0 || p.end > said[i].end) && !strings.Contains(string(b[p.end:at]), "\n\n") {
				i = j
			}
		}
		if i < 0 {
			return Pattern{}, false
		}
		from, ok := said[i].onOrAfter(now.In(tz))
		if !ok {
			return Pattern{}, false
		}
		var day time.Time
		switch m[3] {
		case "week":
			day = from.AddDate(0, 0, 7)
		case "day":
			day = from.AddDate(0, 0, 1)
		default:
			want, _ := weekdayOf(m[1] + m[2])
			day = from.AddDate(0, 0, (int(want)-int(from.Weekday())+6)%7+1)
		}
		return Pattern{Year: day.Year(), Month: day.Month(), Day: day.Day()}, true
	})
	take(weekdayOnly, day, func(m []string) (Pattern, bool) {
		p := Pattern{}
		withWeekday(&p, m[1])
		// "Tuesdays" is a habit, when they can or can't come: a
		// preference (findPrefs), not a session.
		return p, !strings.HasSuffix(m[0], "s")
	})
	sortByPosition(out)
	return joinDayAndMonth(string(b), out), notOn, string(b)
}

// onOrAfter is the day p names, the first on or after today: "the
// 22nd" said on 15 June is 22 June. Only a day of the month names one.
func (p Pattern) onOrAfter(today time.Time) (time.Time, bool) {
	if p.Day == 0 || p.DayTo != 0 {
		return time.Time{}, false
	}
	y, m, d := today.Date()
	switch {
	case p.Year != 0 && p.Month != 0:
		y, m = p.Year, p.Month
	case p.Month != 0:
		if p.Month < m || p.Month == m && p.Day < d {
			y++
		}
		m = p.Month
	case p.Day < d:
		m++
	}
	day := time.Date(y, m, p.Day, 0, 0, 0, 0, today.Location())
	return day, day.Day() == p.Day
}

// joinDayAndMonth makes one date of a weekday and a month written as one
// phrase: "the Wednesday one in July".
func joinDayAndMonth(s string, dates []Pattern) []Pattern {
	for i := 0; i+1 < len(dates); i++ {
		a, b := &dates[i], dates[i+1]
		if a.HasDay && a.Month == 0 && a.Day == 0 && b.Month != 0 && !b.HasDay && b.Day == 0 && adjacent(s, *a, b) {
			a.Month, a.DayFrom, a.DayTo = b.Month, b.DayFrom, b.DayTo
			a.Said, a.end = a.Said+" "+b.Said, b.end
			dates = slices.Delete(dates, i+1, i+2)
		}
	}
	return dates
}

// numberWords are how people write small numbers.
var numberWords = map[string]int{
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
	"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
	"1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7, "8th": 8, "9th": 9, "10th": 10,
}

var (
	// A bare number on its own, or "number 2", "option 3", "the second one":
	// only these pick from a list, never a number inside a sentence about
	// something else.
	pickNumber = regexp.MustCompile(`(?:^|[\s,(])(?:no\.?|number|option|choice|item|#)?\s*(\d{1,2})(?:[).]|\s|,|$)|\b(?:number|option|choice|item)\s+(one|two|three|four|five|six|seven|eight|nine|ten)\b|\bthe\s+(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|1st|2nd|3rd|4th|5th|6th|7th|8th|9th|10th)(?:\s+one|\s+option|\s+slot|\s+session)?\b`)
)

// findNumbers reads the list numbers in s; only when we sent a list of n
// items, and only those in range.
func findNumbers(s string, n int) []Pattern {
	if n == 0 {
		return nil
	}
	var out []Pattern
	seen := map[int]bool{}
	for _, loc := range pickNumber.FindAllStringSubmatchIndex(s, -1) {
		var k int
		switch {
		case loc[2] >= 0:
			k, _ = strconv.Atoi(s[loc[2]:loc[3]])
			if isTimeAfter(s[loc[3]:]) {
				continue
			}
		case loc[4] >= 0:
			k = numberWords[s[loc[4]:loc[5]]]
		case loc[6] >= 0:
			if w := s[loc[6]:loc[7]]; w == "last" {
				k = n
			} else {
				k = numberWords[w]
			}
		}
		if k < 1 || k > n || seen[k] {
			continue
		}
		seen[k] = true
		// Where the words start, past the space or comma before them,
		// so "not number 2" reads the "not" as its own.
		at := loc[0] + strings.IndexFunc(s[loc[0]:loc[1]], func(r rune) bool { return !strings.ContainsRune(" \t\n,(", r) })
		out = append(out, Pattern{Number: k, Said: strings.TrimSpace(strings.Trim(s[loc[0]:loc[1]], ",.()")), at: at, end: loc[1]})
	}
	return out
}

// isTimeAfter reports whether what follows a number makes it a time of day
// ("2pm", "2 o'clock", "2:30").
func isTimeAfter(rest string) bool {
	rest = strings.TrimLeft(rest, " ")
	for _, suffix := range []string{"am", "pm", "a.m", "p.m", "o'clock", ":", "oclock"} {
		if strings.HasPrefix(rest, suffix) {
			return true
		}
	}
	return false
}

// monthPart is the days of the month a part of it names.
func monthPart(part string) (from, to int) {
	switch part {
	case "start", "beginning", "early part", "early":
		return 1, 10
	case "first week":
		return 1, 7
	case "first half":
		return 1, 15
	case "middle", "mid":
		// Wide: the 10th is the middle of the month to some. Where
		// that fits two sessions, they are asked which.
		return 8, 23
	case "second half":
		return 16, 31
	case "last week":
		return 24, 31
	}
	return 21, 31 // "end", "late"
}
