package understand

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Pattern is one session a person pointed at, in the terms they used: a
// date or part of one, a title, or the number of an item in a list we sent.
// The zero value of each field means "not said".
type Pattern struct {
	Said    string // their words, to repeat back
	Number  int    // the nth item of the list we sent
	Year    int
	Month   time.Month
	Day     int
	Weekday time.Weekday
	HasDay  bool // Weekday is set (Sunday is its zero value)
	Title   string
	Place   string // a word of the location ("weymouth"), lower case
	// From and Until bound the minute of the day it starts at, for "the
	// afternoon one"; Until 0 means no bound.
	From, Until int
	// DayFrom and DayTo bound the day of the month, for "the start of
	// July" (1 to 10); DayTo 0 means no bound.
	DayFrom, DayTo int
	// Mode is how it is held: "the one on Teams", "the in-person one".
	Mode Mode
	// OrWeekLater: the day a week after Day fits too. "Next Thursday",
	// said on a Tuesday, is this week's to some and next week's to
	// others; where both have a session, the caller asks.
	OrWeekLater bool
	// Places, when set, is how many places this one of several wants:
	// "book me on the 22nd and the 29th, and my wife on the 22nd too"
	// is two places on the 22nd, one on the 29th.
	Places  int
	at, end int // where in the text it was written
	// aside is a "today" or "tomorrow", which people write as often to
	// say when something happened as to name a session.
	aside bool
}

// sameAs reports whether p and q name the same thing, wherever each was
// written and in whatever words.
func (p Pattern) sameAs(q Pattern) bool {
	p.Said, p.at, p.end, p.aside, p.Places = q.Said, q.at, q.end, q.aside, q.Places
	return p == q
}

// vaguerThan reports whether q says all that p says, and more: "1st
// September" of "September".
func (p Pattern) vaguerThan(q Pattern) bool {
	set := func(a, b int) bool { return a == 0 || a == b }
	return p.Number == 0 && q.Number == 0 && p.Title == "" && p.Place == "" && p.Mode == AnyMode &&
		set(p.Year, q.Year) && set(int(p.Month), int(q.Month)) && set(p.Day, q.Day) &&
		(!p.HasDay || q.HasDay && p.Weekday == q.Weekday) && p.From == 0 && p.Until == 0 && p.DayTo == 0 &&
		(q.Day != 0 && p.Day == 0 || q.Month != 0 && p.Month == 0)
}

// Matches reports whether it fits the pattern. Numbers are not matched here:
// they index the list the caller sent.
func (p Pattern) Matches(it Item, tz *time.Location) bool {
	if p.Number > 0 {
		return false
	}
	t := it.Starts.In(tz)
	switch {
	case !p.onDay(t) && !(p.OrWeekLater && p.onDay(t.AddDate(0, 0, -7))),
		t.Day() < p.DayFrom, p.DayTo > 0 && t.Day() > p.DayTo,
		p.Mode == Online && !remote(it.Location), p.Mode == InPerson && remote(it.Location),
		p.HasDay && t.Weekday() != p.Weekday,
		p.Title != "" && !strings.EqualFold(it.Title, p.Title),
		p.Place != "" && !atPlace(it.Location, p.Place),
		t.Hour()*60+t.Minute() < p.From,
		p.Until > 0 && t.Hour()*60+t.Minute() >= p.Until:
		return false
	}
	return true
}

// onDay reports whether t falls on the year, month and day p names (any,
// where it names none).
func (p Pattern) onDay(t time.Time) bool {
	return (p.Year == 0 || t.Year() == p.Year) && (p.Month == 0 || t.Month() == p.Month) && (p.Day == 0 || t.Day() == p.Day)
}

// Mode is how a session is held, as words name it.
type Mode int

const (
	AnyMode  Mode = iota
	Online        // "the one on Teams", "the online one"
	InPerson      // "the in-person one", "face to face"
)

// qualify narrows each target by the words that describe it in its own
// clause: "the afternoon one in July", "the Thursday one on Teams", "the
// Weymouth one in August". A description with no target in its clause is
// a target of its own when nothing else names one ("the one on Teams").
func qualify(s string, targets, descriptions, narrowing []Pattern) []Pattern {
	var alone []Pattern
	for _, d := range descriptions {
		if i := slices.IndexFunc(targets, func(t Pattern) bool { return t.Number == 0 && sameClause(s, t, d) && t.admits(d) }); i >= 0 {
			targets[i].narrow(d)
		} else {
			alone = append(alone, d)
		}
	}
	// A description in a clause of its own names a session of its own:
	// "I can't make the Weymouth one but I'd love to do the independence
	// one".
	for _, d := range alone {
		if !slices.ContainsFunc(targets, func(t Pattern) bool { return sameClause(s, t, d) }) {
			targets = append(targets, d)
		}
	}
	// What only narrows ("1 July at 10.30") names nothing alone, and
	// narrows only what it is written against: "book me on 15 July and
	// make it 2pm" or "is it ending at 3pm?" say nothing of when it starts.
	for _, d := range narrowing {
		if i := slices.IndexFunc(targets, func(t Pattern) bool {
			return t.Number == 0 && t.end <= d.at && atTime.MatchString(s[t.end:d.at]) && t.admits(d)
		}); i >= 0 {
			targets[i].narrow(d)
		}
	}
	sortByPosition(targets)
	return targets
}

// atTime is what may stand between what names a session and the time
// that says which of it: "1 July at 10.30", "the County Hall one at half
// ten" (the "at" is the time's).
var atTime = regexp.MustCompile(`^[\s,]*((session|one|meeting|group|slot|appointment)\s+)?$`)

// narrow adds to t what d says of it, and d's words to t's.
func (t *Pattern) narrow(d Pattern) {
	if d.Place != "" {
		t.Place = d.Place
	}
	if d.From != 0 || d.Until != 0 {
		t.From, t.Until = d.From, d.Until
	}
	if d.Mode != AnyMode {
		t.Mode = d.Mode
	}
	// Their words, in the order written: between them may be words
	// already read and blanked ("county hall on 1 july").
	if d.at < t.at {
		t.Said = d.Said + " " + t.Said
	} else {
		t.Said += " " + d.Said
	}
	t.at, t.end = min(t.at, d.at), max(t.end, d.end)
}

// admits reports whether d's description says nothing t says otherwise.
func (t Pattern) admits(d Pattern) bool {
	return (d.Place == "" || t.Place == "") && (d.From+d.Until == 0 || t.From+t.Until == 0) && (d.Mode == AnyMode || t.Mode == AnyMode)
}

// sameClause reports whether a and b are written in one clause of s.
func sameClause(s string, a, b Pattern) bool {
	lo, hi := min(a.at, b.at), max(a.end, b.end)
	if lo < 0 || hi > len(s) || hi-lo >= 80 {
		return false
	}
	gapFrom, gapTo := min(a.end, b.end), max(a.at, b.at)
	return gapFrom >= gapTo || !clauseEnd.MatchString(s[gapFrom:gapTo])
}

// String is the pattern as the bot repeats it back.
func (p Pattern) String() string {
	if p.Said != "" {
		return p.Said
	}
	if p.Number > 0 {
		return fmt.Sprintf("number %d", p.Number)
	}
	return p.Title
}

// combine joins the dates and titles a message names. A title written next
// to a date narrows it ("New to caring on 10 August"); otherwise each is its
// own target.
func combine(text string, dates, titles []Pattern) []Pattern {
	var out []Pattern
	used := make([]bool, len(titles))
	for _, d := range dates {
		for i, t := range titles {
			if !used[i] && adjacent(text, d, t) {
				used[i] = true
				d.Title = t.Title
				d.Said = d.Said + " (" + t.Said + ")"
				// Both sets of words are this one target's, so "from New to
				// caring on the 10th to …" leaves the 10th's.
				d.at, d.end = min(d.at, t.at), max(d.end, t.end)
				break
			}
		}
		out = append(out, d)
	}
	// A title written again elsewhere (often in the subject) is the same
	// target, not another.
	seen := map[string]bool{}
	for _, d := range out {
		seen[d.Title] = true
	}
	for i, t := range titles {
		if !used[i] && !seen[t.Title] {
			seen[t.Title] = true
			out = append(out, t)
		}
	}
	// In the order written, so a combined reply follows the person's own.
	sortByPosition(out)
	return out
}

// adjacent reports whether only a few joining words separate a and b.
func adjacent(text string, a, b Pattern) bool {
	if b.at < a.at {
		a, b = b, a
	}
	if a.end > b.at || b.at > len(text) {
		return false
	}
	return joiner.MatchString(text[a.end:b.at])
}

var joiner = regexp.MustCompile(`^[\s,:(-]*((session|one|meeting|group)\s+)?(on|for|at|is|which is|in|,)?(\s+the)?[\s,:()-]*$`)

func sortByPosition(ps []Pattern) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].at < ps[j-1].at; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}
