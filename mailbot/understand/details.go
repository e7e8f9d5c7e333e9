package understand

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// relation is who people bring along.
const relation = `(husband|wife|partner|mum|mother|dad|father|son|daughter|carer|friend|brother|sister|neighbour|support worker|pa|grandson|granddaughter|client|cared-for)`

var (
	// "for 2", "for two people", "3 places", "the two of us"
	placesCount = mustKeyed(`\bfor\s+(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)(\s+(people|persons|places|of us|adults|seats|spaces))?\b|\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\s+(places?|seats?|spaces?|tickets?|people|persons|of us)\b|\b(both of us|us both|we'?ll both|we will both|the two of us|plus one|\+1)\b`)
	// "me and 2 of our residents", "myself and three others": the writer
	// and so many more.
	placesPlus = mustKeyed(`\b(?:me|myself) and (\d{1,2}|two|three|four|five|six|seven|eight|nine|ten) (?:of )?(?:(?:our|my|the) )?(?:residents|clients|others|friends|members|people|service users|carers|of them|more)\b`)
	// "make that 3", "can you make it 2": a new number for a booking.
	placesMake = mustKeyed(`\bmake (it|that|this|them|mine|ours) (\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\b`)
	// "me and my husband", "my wife and I", "I'll bring the person I care for"
	// Staff write the same of others: "him and his wife", "with her husband".
	placesCompanion = mustKeyed(`\b(me|myself|him|her) and (my|his|her|the|a) \w+|\b(book|put|register|enrol|sign up|add) (me|myself) and (?:[a-hj-z][a-z]+|i[a-z]+)\b|\bme and (mum|mam|mom|dad|nan|gran|grandma|grandad)\b|\b(she|he)('ll| will| is going to) (come|be coming) (with me|too|as well)\b|\b(my|his|her) ` + relation + ` (and i|and me|and he|and she|will come|(will|'ll) be coming (too|as well|with me|along)|is coming|wants to come|would like to come|too|as well)|\b(bring|bringing|accompanied by|along with) (my|his|her|the person i care for|the person i look after|the lady i care for|the man i care for|someone|somebody|a friend|a carer|her carer|his carer)\b|\bwith (my|his|her) (` + relation + `|the person i care for|the person i look after)\b`)
)

// durationAfter is what makes the number before it a length of time.
var durationAfter = regexp.MustCompile(`^\s*(years?|yrs?|months?|weeks?|days?|hours?|hrs?|minutes?|mins?|decades?)\b`)

// dateAfter is what makes the number before it a day of the month.
var dateAfter = regexp.MustCompile(`^(/|\.\d|st\b|nd\b|rd\b|th\b|\s*(of\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)`)

// findPlaces reads how many places are wanted (0 when not said) and blanks
// the words it used. A companion counts one more than the person writing.
func findPlaces(s string, most int) (int, string) {
	if most <= 0 {
		most = 10
	}
	n := 0
	if loc := placesCount.FindStringSubmatchIndex(s); loc != nil {
		m := s[loc[0]:loc[1]]
		rest := s[loc[1]:]
		switch {
		case loc[2] >= 0 && (isTimeAfter(rest) || dateAfter.MatchString(rest) || durationAfter.MatchString(rest)):
			// "for 2pm", "for 2/8", "for 15 July", "for the 15th", "for
			// 23 years": a time, a date or how long, not places
		case loc[2] >= 0:
			n = count(s[loc[2]:loc[3]])
		case loc[8] >= 0:
			n = count(s[loc[8]:loc[9]])
		default:
			n = 2
		}
		if n > 0 {
			s = s[:loc[0]] + blank(m) + s[loc[1]:]
		}
	}
	if loc := placesPlus.FindStringSubmatchIndex(s); n == 0 && loc != nil {
		n = count(s[loc[2]:loc[3]]) + 1
		s = s[:loc[0]] + blank(s[loc[0]:loc[1]]) + s[loc[1]:]
	}
	if loc := placesMake.FindStringSubmatchIndex(s); n == 0 && loc != nil && !isTimeAfter(s[loc[1]:]) && !dateAfter.MatchString(s[loc[1]:]) {
		n = count(s[loc[4]:loc[5]])
		s = s[:loc[0]] + blank(s[loc[0]:loc[1]]) + s[loc[1]:]
	}
	if n == 0 && companion(s) && !justMe.MatchString(s) {
		n = 2
	}
	return min(n, most), s
}

// givesPlaces reports whether s says how many places.
func givesPlaces(s string, most int) bool {
	n, _ := findPlaces(s, most)
	return n > 0
}

// justMe says only the writer comes, whoever else the words mention: "my
// wife and I had a look… just me, she will be at her day centre".
var justMe = mustKeyed(`\b(just|only) (me|myself)\b|\bjust for me\b|\bon my own\b|\bby myself\b`)

// caresFor is what comes before the person someone looks after when they
// are only saying so: "I look after my mum and I'd like to come" brings
// nobody.
var caresFor = regexp.MustCompile(`\b(look(s|ing)? after|care(s)? for|caring for|support(s|ing)?)\s+$`)

// notAPerson is what people bring that takes no place: "can I bring my
// guide dog?"
var notAPerson = regexp.MustCompile(`^\S*\s+(my|his|her|the|a)\s+(own\s+)?(guide\s+|assistance\s+|hearing\s+|service\s+)?(dog|wheelchair|scooter|walker|walking frame|frame|stick|lunch|laptop|phone|tablet|oxygen)\b`)

// companion reports whether s says the writer brings someone.
func companion(s string) bool {
	for _, loc := range placesCompanion.FindAllStringIndex(s, -1) {
		// "My friend Sue went to something like this last year with
		// her husband" only remembers: nobody comes.
		if !caresFor.MatchString(s[max(0, loc[0]-24):loc[0]]) && !notAPerson.MatchString(s[loc[0]:min(len(s), loc[1]+32)]) &&
			!pastWords.MatchString(sentenceAt(s, loc[0])) {
			return true
		}
	}
	return false
}

func count(w string) int {
	if n, err := strconv.Atoi(w); err == nil {
		return n
	}
	return numberWords[w]
}

// A UK phone number as people write it: 01305 123456, 07700 900 123,
// +44 (0)7700 900123, 0300-123-4567.
var phoneRe = regexp.MustCompile(`(?:\+44\s?(?:\(0\)\s?)?|\b0)\d(?:[\s-]?\d){8,9}\b`)

// Phone is the writer's number in s (a signature), tidied, or "": a
// signature's number is the writer's, though its words ask for nothing.
// A mobile, when it gives one, is theirs rather than an office's
// switchboard; else the first number.
func Phone(s string) string {
	all := phoneRe.FindAllString(s, 4)
	if len(all) == 0 {
		return ""
	}
	pick := all[0]
	for _, p := range all {
		if d := strings.TrimPrefix(strings.Join(strings.FieldsFunc(p, notDigit), ""), "44"); strings.HasPrefix(d, "07") || strings.HasPrefix(d, "7") {
			pick = p
			break
		}
	}
	return tidyPhone(pick)
}

func notDigit(r rune) bool { return r < '0' || r > '9' }

// tidyPhone is a number as written, its dashes spaces, single spaced.
func tidyPhone(p string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(p, "-", " ")), " ")
}

// findPhone returns the first phone number in s and s with it blanked.
func findPhone(s string) (string, string) {
	loc := phoneRe.FindStringIndex(s)
	if loc == nil {
		return "", s
	}
	phone := tidyPhone(s[loc[0]:loc[1]])
	return phone, s[:loc[0]] + blank(s[loc[0]:loc[1]]) + s[loc[1]:]
}

// needWords are access needs people mention; the sentence around each is
// kept in their words, because "a quiet room if possible" says more than a
// code would.
var needWords = mustKeyed(`\b(wheelchair|bsl|sign language|interpreter|quiet (room|space|corner|area|spot|place)|chair with arms|arm ?chair|high(er)? (seat|chair)|somewhere quiet|noisy|noise|busy rooms|large print|big print|hearing loop|loop system|hard of hearing|hearing aid|deaf|blind|partially sighted|visually impaired|guide dog|assistance dog|step[- ]free|ground floor|ramp|lift|mobility|walking frame|walking stick|zimmer|walk(s|ing)? with a (frame|stick|walker)|near the (door|entrance|exit|toilets?)|can'?t (walk|stand) (far|for long)|scooter|accessible|subtitles|captions|easy read|dementia|autism|autistic|anxiety|learning disability|alzheimer'?s?|(regular|frequent|more|rest|comfort|toilet|screen) breaks|toilet|parking|transport)s?\b`)

// findNeeds returns the phrases of text that mention an access need, as
// written ("BSL" stays "BSL"): up to a comma or a full stop, so "2 please,
// I use a wheelchair" gives "I use a wheelchair".
func findNeeds(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, sentence := range sentences(text) {
		if needWords.MatchString(plainWords(normalise(sentence), nil)) && !seen[sentence] {
			seen[sentence] = true
			out = append(out, clip(sentence, 200))
		}
	}
	return out
}

var sentenceEnd = regexp.MustCompile(`[.!?;,\n]+`)

func sentences(s string) []string {
	var out []string
	for _, p := range sentenceEnd.Split(s, -1) {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// clip shortens s to at most n bytes without splitting a character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
