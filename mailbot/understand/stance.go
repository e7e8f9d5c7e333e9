package understand

import (
	"regexp"
	"slices"
	"strings"
)

// Each session a message names is named for a reason of its own, said in
// the clause around it: "not the first one, the second one", "the 22nd is
// no good but the Tuesday after would be", "cancel the 22nd but DON'T
// cancel the 29th, I'll be at that one". What the whole message asks is
// then done only to what each clause wants it done to.

// refusing, in the clause before what it names, says the writer does not
// want it: "not the first one", "anything except the 24th", "rather than
// the online one". ("Can't make" is a cancellation's, read apart.)
var refusing = regexp.MustCompile(`\b(not|never|except|apart from|other than|rather than|than|instead of|anything but|any but|(don'?t|do not) want)\s+(\w+\s+){0,2}$` +
	// "I don't suppose I will need a place at the September one".
	`|\b(won'?t|will not|shan'?t|(don'?t|do not) (suppose|think|expect) (i|we)('ll| will| shall)?) need (a place|places|a space|to (come|book))( (at|on|for|to))?\s+(\w+\s+){0,2}$` +
	// "I can't get into Dorchester for the library one".
	`|\b(can'?t|cannot|can not|couldn'?t|unable to) (get|travel|go) (in)?to\b[^.!?,;]{0,50}$` +
	// "Please don't put me on the 29th instead".
	`|\b(don'?t|do not|no need to) (put|book|move|switch|transfer|sign) (me|us) (on|onto|in|into|for|to|up for)\s+(\w+\s+){0,2}$`)

// refusedLater, after what it names in the same sentence, says the same:
// "the 22nd is no good", "that's not for me", "doesn't suit".
var refusedLater = regexp.MustCompile(`^[^.!?\n]{0,60}?\b(is|are|would be|'s|that'?s|it'?s)?\s*(no good|not good|not for me|not for us|no use|out of the question|doesn'?t suit|does not suit|don'?t suit|won'?t work|not possible|impossible for me)\b`)

// tooFar, after a place, refuses it: "the Weymouth one but it's too far
// for me without a car".
var tooFar = regexp.MustCompile(`^[^.!?\n]{0,40}?\b(too far|too much of a journey|can'?t get there|cannot get there)\b`)

// doubted before and forMe after say it is not for them: "I don't think
// the New to caring one is meant for me".
var (
	doubted = regexp.MustCompile(`\b(don'?t|do not|didn'?t) think\b[^.!?,;]{0,30}$`)
	forMe   = regexp.MustCompile(`^[^.!?\n]{0,30}?\b(is|would be|'s|was)\s+(really\s+)?(meant|aimed|intended|right|suitable|designed)?\s*for (me|us|him|her)\b`)
)

// keeping, in a clause of a cancellation, says the writer keeps what it
// names: "please keep me on the charities one", "don't cancel the 29th",
// "I'll be at that one".
var keeping = regexp.MustCompile(`\b(keep|(don'?t|do not|please don'?t|no need to|not) cancel|still (want|like|hope|plan|going|coming)|i'?ll (still )?be (at|there)|i will (still )?be (at|there))\b`)

// notCancelling is a cancellation verb that keeps: the message cancels
// nothing by it.
var notCancelling = regexp.MustCompile(`\b((don'?t|do not|please don'?t|no need to|not) cancel\w*|(pressed|clicked|hit|chose|did) cancel(led)?( \w+){0,4} by (mistake|accident)|cancel(led)?( \w+){0,4} by (mistake|accident))\b`)

// cancelThat cancels what the message replies about, by a word that
// points at it.
var cancelThat = regexp.MustCompile(`\bcancel (that|it|this|my booking|my place|the booking|that one|this one)\b`)

// cancelsThatFor reports whether s cancels the booking it replies about
// and asks, in a clause of its own, for each session it names instead.
func cancelsThatFor(s string, targets []Pattern) bool {
	return len(targets) > 0 && cancelThat.MatchString(s) && !slices.ContainsFunc(targets, func(p Pattern) bool {
		return !wantWords.MatchString(clauseAt(s, p.at))
	})
}

// habitRefused says when someone can never come ("I can't do Tuesdays",
// "can't manage mornings", "I can't come to the sessions"): a preference,
// read by findPrefs, or none, and no cancellation.
var habitRefused = regexp.MustCompile(`\b(can'?t|cannot|can not|couldn'?t) (do|make|manage|come on|come in the) (any )?(mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays|weekends|mornings|afternoons|evenings)\b` +
	// "I can't come to the sessions because I work": none of them, ever.
	`|\b(can'?t|cannot|can not|couldn'?t) (come|get|go) to (the|your|any of the|any of your|any) (sessions|groups|meetings|events|conversations)\b`)

// refusedTargets splits targets into those the writer wants and those
// they say they don't.
func refusedTargets(s string, targets []Pattern) (want, not []Pattern) {
	for i, p := range targets {
		before := s[clauseStart(s, p.at):p.at]
		// After it: as far as the next thing named, in its sentence.
		end := len(s)
		if i+1 < len(targets) && targets[i+1].at > p.end {
			end = targets[i+1].at
		}
		after := ""
		if p.end <= end {
			after = s[p.end:end]
		}
		if refusing.MatchString(before) || refusedLater.MatchString(after) || doubted.MatchString(before) && forMe.MatchString(after) ||
			p.Place != "" && tooFar.MatchString(after) {
			not = append(not, p)
		} else {
			want = append(want, p)
		}
	}
	// What is refused once is refused wherever else it is named: the
	// subject "September session" above "I don't suppose I will need a
	// place at the September one".
	want = slices.DeleteFunc(want, func(p Pattern) bool {
		return slices.ContainsFunc(not, p.sameAs)
	})
	return want, not
}

// clauseStart is where the clause of s around byte i begins.
func clauseStart(s string, i int) int {
	start := 0
	for _, loc := range clauseEnd.FindAllStringIndex(s[:i], -1) {
		start = loc[1]
	}
	return start
}

// keptTargets drops from a cancellation what a clause of it keeps.
func keptTargets(s string, targets []Pattern) []Pattern {
	var out []Pattern
	for _, p := range targets {
		if keeping.MatchString(clauseAt(s, p.at)) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// blank is s as spaces: words read and done with, their places kept.
func blank(s string) string { return strings.Repeat(" ", len(s)) }

// refusedBefore and refusedAfter are the words that, just before or just
// after a time, a day or a part of the day, turn a wish into its opposite.
var (
	refusedBefore = []string{"not ", "no ", "nothing ", "none ", "except ", "but not ", "can't do ", "cant do ", "cannot do ", "can't manage ", "cannot manage ", "can't make ", "not in the ", "not on ", "never ", "not a ", "not an ", "not the ", "but not a ", "not in a "}
	refusedAfter  = regexp.MustCompile(`^s?\s*(?:is|are|would be|will be)?\s*(?:no good|not good|not great|bad|difficult|tricky|hard|impossible|out|a no|too early|too late|not possible|not ideal)\b|^s?\s*(?:doesn'?t|don'?t|won'?t|wouldn'?t|can'?t|cannot) (?:work|suit|do)\b`)
)

// refused reports whether the words around s[start:end] refuse it.
func refused(s string, start, end int) bool {
	for _, w := range refusedBefore {
		if strings.HasSuffix(s[:start], w) {
			return true
		}
	}
	return refusedAfter.MatchString(s[end:])
}
