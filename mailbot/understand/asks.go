package understand

import (
	"regexp"
	"slices"
)

// Ask is a question about a session that the timetable itself answers.
type Ask int

const (
	AskEnds    Ask = iota + 1 // "what time does it finish?"
	AskStarts                 // "what time does it start?"
	AskWhere                  // "where is it?"
	AskOnline                 // "is it online?"
	AskPlaces                 // "are there places left?"
	AskJoining                // "can you send me the Teams link again?"
)

// askWords are the questions the timetable answers, in the order they are
// answered. Each is tried on a question only (see questions), with or
// without its question mark: phones often leave it off.
var askWords = []struct {
	ask Ask
	re  *regexp.Regexp
}{
	{AskEnds, regexp.MustCompile(`\b(finish(es|ing)?|end(s|ing)?|over|done)\b.*\?|\bhow long\b|\bwhat time (does|do|will) .*\b(finish|end)\b`)},
	{AskStarts, regexp.MustCompile(`\b(start(s)?|begin(s)?)\b|\bwhat time (is|does|do)\b|\b(what'?s|what is) the date\b|\bwhat date\b|\bwhen is (it|that|the)\b`)},
	{AskWhere, regexp.MustCompile(`\bwhere( exactly| abouts)?('?s| is| are| will| does| do)\b|\bwhat (is the )?(address|venue)\b|\b(which|what) room\b`)},
	{AskOnline, regexp.MustCompile(`\b(online|in person|on (zoom|teams)|face to face|virtual)\b`)},
	{AskJoining, regexp.MustCompile(`\b(the |a |teams |zoom |meeting |joining )link\b|\bhow (do|can|will|would|should) (i|we|he|she|they) (join|get on|get in|get into|get onto|log ?on|log in|connect|get on to)\b|\bjoining (details|instructions)\b|\bmeeting (id|details)\b|\bpass ?code\b`)},
	{AskPlaces, regexp.MustCompile(`\b(places?|spaces?|room|seats?) (are |is )?(still )?(left|available|free)\b|\bis (it|that one|the \w+ one) full\b|\bany (places|spaces|room)\b|\b(are|is) there (still )?(any )?(places?|spaces?|room)\b|\bany chance of (a place|a space|getting (a place|in|on))\b|\bhow many (places|spaces|seats)\b`)},
}

// findAsks returns what the questions qs of s (spans, as questions gives
// them) ask of the timetable, and for each question whether it asks it
// anything.
func findAsks(s string, qs [][2]int) (asks []Ask, asking []bool) {
	asking = make([]bool, len(qs))
	for _, a := range askWords {
		for i, q := range qs {
			if a.ask == AskStarts && slices.Contains(asks, AskEnds) {
				break // "what time does it finish?" is not also a start
			}
			if a.re.MatchString(s[q[0]:q[1]]) {
				asking[i] = true
				if !slices.Contains(asks, a.ask) {
					asks = append(asks, a.ask)
				}
			}
		}
	}
	return asks, asking
}
