package understand

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
)

// People name a session by where it is as often as by its title: "the
// Weymouth one", "the one at Dorchester library", or by when in the day:
// "the afternoon one". A place is evidence
// only where the words say a session is meant by it — "I live in
// Weymouth, what's on?" names no session — and only by a word that tells
// places apart: "community", "centre", "hall" or "online" never does.

// placeStop are the words of locations that tell no place apart.
var placeStop = set([]string{
	"online", "microsoft", "teams", "zoom", "video", "phone", "call", "community", "centre", "center",
	"main", "hall", "room", "meeting", "house", "road", "street", "the", "and",
	"council", "county", "office", "building", "floor", "ground", "first", "second",
})

// placeNouns are buildings people name a session by ("the library
// session", "the one at the church"): they tell places apart only when
// one location alone has theirs.
var placeNouns = set([]string{"library", "church", "village"})

var (
	// placeAfter and placeBefore are the words around a place that make
	// it name a session: "the Weymouth one", "the one at Weymouth".
	placeAfter  = regexp.MustCompile(`^\s+(?:library\s+|community centre\s+|centre\s+|hall\s+)?(?:one|session|meeting|group|event|conversation|get together)s?\b`)
	askedOfThe  = regexp.MustCompile(`(?:^|[\s,])(?:is|does|has|can|will|where is|where'?s|how (?:do|can|would) (?:i|we) get to|getting to|parking at) the\s+$`)
	placeBefore = regexp.MustCompile(`\b(?:one|session|meeting|group|event|conversation)s?\s+(?:in person\s+|face to face\s+)?(?:at|in)\s+(?:the\s+)?$|\b(?:anything|something|any sessions?)(?: happening| on| going on| running)?\s+(?:near|in|around|at)\s+(?:the\s+)?$`)
)

// findPlaceNames returns the sessions s names by a place word of one of
// the locations given, each place word once.
func findPlaceNames(s string, locations []string) []Pattern {
	if len(locations) == 0 {
		return nil
	}
	known := placeWords(locations)
	text, starts, ends := wordsAt(s)
	var out []Pattern
	seen := map[string]bool{}
	for i, w := range text {
		if !known[w] || seen[w] {
			continue
		}
		// "Is the library able to take a scooter?": a place noun
		// that only one location has, asked about, is that place; "I
		// saw your notice in the library" is not.
		if placeAfter.MatchString(s[ends[i]:]) || placeBefore.MatchString(s[:starts[i]]) || placeNouns[w] && askedOfThe.MatchString(s[:starts[i]]) {
			seen[w] = true
			out = append(out, Pattern{Place: w, Said: "the " + s[starts[i]:ends[i]] + " one", at: starts[i], end: ends[i]})
		}
	}
	return out
}

// placesRefused are the place words of locations that s rules out: "one
// of the Thursday ones but not Weymouth, too far".
func placesRefused(s string, locations []string) []string {
	if len(locations) == 0 || !strings.Contains(s, "not") && !strings.Contains(s, "except") && !strings.Contains(s, "than") && !strings.Contains(s, "apart") {
		return nil
	}
	known := placeWords(locations)
	var out []string
	for _, m := range notAtPlace.FindAllStringSubmatch(s, -1) {
		if known[m[1]] && !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

var notAtPlace = regexp.MustCompile(`\b(?:not|except|apart from|other than|rather than)\s+(?:at\s+|in\s+|the one (?:at|in)\s+)?(?:the\s+)?([a-z]+)\b`)

// placeWords are the words of locations that name one place: not a
// common word, and a noun ("library") only where one location alone has
// it.
func placeWords(locations []string) map[string]bool {
	known, nouns := map[string]bool{}, map[string]int{}
	for _, l := range locations {
		seen := map[string]bool{}
		for _, w := range words(normalise(l)) {
			switch {
			case len(w) < 4 || placeStop[w] || strings.ContainsAny(w, "0123456789"):
			case placeNouns[w]:
				if !seen[w] {
					nouns[w]++
				}
				seen[w] = true
			default:
				known[w] = true
			}
		}
	}
	for w, n := range nouns {
		known[w] = n == 1
	}
	return known
}

// atPlace reports whether location has the place word w.
func atPlace(location, w string) bool {
	for _, x := range words(normalise(location)) {
		if x == w {
			return true
		}
	}
	return false
}

// startsAtNamed is "the 1pm one", "the 10.30am session".
var startsAtNamed = regexp.MustCompile(`\bthe\s+(1[0-2]|0?[1-9])(?:[.:]([0-5][0-9]))?\s*(am|pm)?\s+(?:one|session|meeting|group|event|conversation)\b`)

// halfPastNamed is "the half eleven one" (11:30, as British English
// says it), "the half past ten session".
var halfPastNamed = regexp.MustCompile(`\bthe\s+half\s+(?:past\s+)?(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|1[0-2]|0?[1-9])\s+(?:one|session|meeting|group|event|conversation)\b`)

var hourWords = map[string]string{"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
	"seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12"}

// clockTime is a time of day written as one: "10.30", "at 2pm", "half
// ten". Alone it names nothing ("I have to get the 11.20 bus"); beside a
// day or a place in its clause it says which of that day's is meant.
var clockTime = regexp.MustCompile(`\b(?:at\s+)?(?:(1[0-2]|0?[1-9])[.:]([0-5][0-9])\s*(am|pm|a\.m\.|p\.m\.)?|(1[0-2]|0?[1-9])\s*(am|pm)|half\s+(?:past\s+)?(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve))\b`)

// findClockTimes returns the times of day s gives, as patterns that only
// narrow another (see qualify).
func findClockTimes(s string) []Pattern {
	if !strings.ContainsAny(s, "0123456789") && !strings.Contains(s, "half") {
		return nil
	}
	var out []Pattern
	for _, loc := range clockTime.FindAllStringSubmatchIndex(s, -1) {
		var at int
		switch {
		case loc[2] >= 0:
			at = clock(sub(s, loc, 1), sub(s, loc, 2), sub(s, loc, 3))
		case loc[8] >= 0:
			at = clock(sub(s, loc, 4), "", sub(s, loc, 5))
		default:
			at = clock(hourWords[sub(s, loc, 6)], "30", "")
		}
		out = append(out, Pattern{Said: s[loc[0]:loc[1]], From: at, Until: at + 1, at: loc[0], end: loc[1]})
	}
	return out
}

// roomName is the name a drop-in location is called by ("county hall"
// of "County Hall, Dorchester"), or "" for the phone, a video call or a
// name too short to tell apart.
func roomName(location string) string {
	name, _, _ := strings.Cut(normalise(location), ",")
	if name = strings.TrimSpace(name); len(name) < 6 || remote(name) {
		return ""
	}
	return name
}

// findRoomsNamed returns the drop-in locations s names by their name
// ("the drop-in at County Hall", "the County Hall one"), as patterns of
// the location's first word.
func findRoomsNamed(s string, rooms []string) []Pattern {
	var out []Pattern
	for _, l := range rooms {
		name := roomName(l)
		if i := strings.Index(s, name); name != "" && i >= 0 {
			first, _, _ := strings.Cut(name, " ")
			out = append(out, Pattern{Said: s[i : i+len(name)], Place: first, at: i, end: i + len(name)})
		}
	}
	return out
}

// modeNamed is a session named by how it is held: "the Teams one", "the
// one on Teams", "the in-person one". ("Is the charities one online?"
// asks how it is held, and names it by nothing.)
var modeNamed = regexp.MustCompile(`\bthe\s+(online|teams|zoom|virtual|in[- ]person|face[- ]to[- ]face)\s+(?:one|session|meeting|group|event|conversation)s?\b|\b(?:one|session|meeting|group|event|conversation)s?\s+(on (?:microsoft )?teams|on zoom)\b`)

// findModes returns the sessions s names by how they are held.
func findModes(s string) []Pattern {
	var out []Pattern
	for _, loc := range modeNamed.FindAllStringSubmatchIndex(s, -1) {
		how := sub(s, loc, 1) + sub(s, loc, 2)
		p := Pattern{Said: s[loc[0]:loc[1]], Mode: Online, at: loc[0], end: loc[1]}
		if strings.Contains(how, "person") || strings.Contains(how, "face") {
			p.Mode = InPerson
		}
		out = append(out, p)
	}
	return out
}

// partOfDayNamed is "the afternoon one", "the evening session": a session
// named by when in the day it is.
var partOfDayNamed = regexp.MustCompile(`\b(morning|afternoon|evening)\s+(?:one|session|meeting|group|event|conversation)s?\b`)

// findPartOfDay returns the sessions s names by the part of the day, each
// once. Several may fit; the caller asks which.
func findPartOfDay(s string) []Pattern {
	var out []Pattern
	// "the 1pm one", "the 10.30 session": the time it starts.
	for _, loc := range startsAtNamed.FindAllStringSubmatchIndex(s, -1) {
		at := clock(sub(s, loc, 1), sub(s, loc, 2), sub(s, loc, 3))
		out = append(out, Pattern{Said: s[loc[0]:loc[1]], From: at, Until: at + 1, at: loc[0], end: loc[1]})
	}
	for _, loc := range halfPastNamed.FindAllStringSubmatchIndex(s, -1) {
		h := sub(s, loc, 1)
		at := clock(cmp.Or(hourWords[h], h), "30", "")
		out = append(out, Pattern{Said: s[loc[0]:loc[1]], From: at, Until: at + 1, at: loc[0], end: loc[1]})
	}
	seen := map[string]bool{}
	for _, loc := range partOfDayNamed.FindAllStringSubmatchIndex(s, -1) {
		part := s[loc[2]:loc[3]]
		if seen[part] {
			continue
		}
		seen[part] = true
		p := Pattern{Said: "the " + s[loc[0]:loc[1]], at: loc[0], end: loc[1]}
		switch part {
		case "morning":
			p.Until = 12 * 60
		case "afternoon":
			p.From, p.Until = 12*60, 17*60
		case "evening":
			p.From = 17 * 60
		}
		out = append(out, p)
	}
	return out
}
