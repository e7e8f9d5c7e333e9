package understand

import (
	"strings"
)

// People write to the bot as they would text a friend, and many type with
// difficulty: "cud u bok me on weds pls", "cancle", "New to carring". The
// rules in request.go and dates.go know one spelling of each word, so
// plainWords rewrites what was written into that spelling first. It errs
// towards leaving a word alone: a word it wrongly "corrects" is a booking
// nobody asked for, where one it misses is only a question back.

// colloquial holds the short forms, text speak and common misspellings that
// no edit distance could safely reach ("bok" is as near "box" as "book").
// A short form that is also an ordinary word or a name stays out: "sat",
// "sun", "mon", "jan", "may", "ill", "id".
var colloquial = map[string]string{
	"pls": "please", "plz": "please", "plse": "please", "plez": "please", "pleez": "please", "pleeze": "please", "pleaze": "please",
	"thx": "thanks", "thnx": "thanks", "thanx": "thanks", "thks": "thanks", "tx": "thanks", "ta": "thanks", "cheers": "thanks",
	"ty": "thank you", "thankyou": "thank you", "tnx": "thanks",
	"yup": "yes", "aye": "yes", "yeh": "yes", "yea": "yes", "yess": "yes", "yesss": "yes", "nah": "no", "okey": "ok", "okie": "ok",
	"u": "you", "ur": "your", "yr": "your", "cud": "could", "cld": "could", "wud": "would", "wld": "would", "shud": "should",
	"cn": "can", "hav": "have", "hv": "have", "wiv": "with", "abt": "about", "b4": "before", "nxt": "next", "wk": "week",
	"ppl": "people", "hubby": "husband", "mam": "mum", "mom": "mum", "luv": "love", "gonna": "going to", "wanna": "want to",
	"im": "i'm", "ive": "i've", "cant": "can't", "wont": "won't", "dont": "don't", "didnt": "didn't", "couldnt": "couldn't",
	"wouldnt": "wouldn't", "isnt": "isn't", "whats": "what's", "thats": "that's",
	"tmrw": "tomorrow", "tmr": "tomorrow", "tmw": "tomorrow", "tmoz": "tomorrow", "tomoz": "tomorrow", "tomo": "tomorrow",
	"2moro": "tomorrow", "2morro": "tomorrow", "2morrow": "tomorrow", "2mrw": "tomorrow", "2moz": "tomorrow",
	"tdy": "today", "2day": "today", "mornin": "morning", "mornins": "mornings", "arvo": "afternoon",
	"tue": "tuesday", "tues": "tuesday", "weds": "wednesday", "wednes": "wednesday", "wensday": "wednesday",
	"wenesday": "wednesday", "wednsday": "wednesday", "thu": "thursday", "thur": "thursday", "thurs": "thursday", "fri": "friday",
	"feb": "february", "apr": "april", "jun": "june", "jul": "july", "aug": "august", "sep": "september", "sept": "september",
	"oct": "october", "nov": "november", "dec": "december",
	"bok": "book", "bk": "book", "buk": "book", "boook": "book", "bokk": "book", "canx": "cancel", "cxl": "cancel",
	"unsub": "unsubscribe", "appt": "appointment", "sesh": "session",
}

// nearWords are the words a near miss is corrected to: those that decide
// what a message asks, long enough that a letter or two wrong still leaves
// them unmistakable. "March" and "May" are verbs too, "June" and "July"
// are a letter from "Jane" and "jury", and "book" from "look", so none of
// them is here; titles are matched in titles.go, where the words around a
// near miss must fit too.
var nearWords = []string{
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
	"january", "february", "april", "august", "september", "october", "november", "december",
	"cancel", "cancelled", "cancellation", "subscribe", "unsubscribe", "appointment", "timetable",
	"newsletter", "session", "sessions", "register", "attend", "tomorrow", "please", "thanks",
	"instead", "change", "reschedule", "wheelchair", "interpreter", "accessible",
}

// realWords are English words (and names) within reach of a word in
// nearWords, which are therefore never corrected: "cancer" is not a
// misspelt "cancel", nor "remember" of "December". They are every word of
// Debian's British English word list (wbritish) within the distance
// allowed of one in nearWords; TestRealWordsComplete checks the list
// whenever that word list is installed. The names on the last line are
// ones that list lacks.
var realWords = set(strings.Fields(`
	accessibly anointment appointments aprils attends augusta augusts cancellations cancels cancer
	catcalled cession cessions chance chancel chang changed changes channelled charge concealed
	deceiver decembers fridays hanks inaccessible interpret interpreted interpreters interprets lease
	missions mondays newsletters nonmember novembers obsessions octobers panelled parcelled passions
	pease pensions pleas pleased pleases reappointment registered registers registrar registry remember
	rescheduled reschedules resisted resister resisters resistor saturdays schedule sections septembers
	shanks subscribed subscriber subscribers subscribes subscript sundae sundas sundays sundry tameable
	tanks tensions thank thinks thunks thursdays timetabled timetables tomorrows tuesdays unsubscribed
	unsubscribes versions wednesdays wheelchairs
	frida fridah sundar mondal mondol mundy`))

// plainWords rewrites s, already normalised, into the words the rules
// read. Words of a session's title are kept as they are, whatever they
// resemble.
func plainWords(s string, titles []string) string {
	// Twice, as the space between "& &" serves both.
	s = strings.ReplaceAll(strings.ReplaceAll(s, " & ", " and "), " & ", " and ")
	keep := titleIndexOf(titles).inTitle
	var b strings.Builder
	last := 0
	for start, end := nextWord(s, 0); end >= 0; start, end = nextWord(s, end) {
		w := s[start:end]
		stem, suffix := w, ""
		if strings.HasSuffix(stem, "'s") {
			stem, suffix = stem[:len(stem)-2], "'s"
		}
		to, ok := colloquial[stem]
		if !ok && !keep[stem] {
			to, _ = nearest(stem, nearWords)
		}
		if to == "" || to == stem {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(to)
		b.WriteString(suffix)
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// maxNear is the longest word compared: no word the rules need is longer,
// and it bounds the work a long run of letters costs.
const maxNear = 16

// nearest returns the one word of vocab that w is, or is a near miss of,
// and how many letters apart they are; "" when there is none, or more than
// one equally near. w is lower case.
func nearest(w string, vocab []string) (string, int) {
	if len(w) < 4 || len(w) > maxNear || !asciiLetters(w) || realWords[w] {
		return "", 0
	}
	best, bestD, tie := "", maxNear, false
	for _, v := range vocab {
		if len(v) > maxNear {
			continue
		}
		allowed := allowance(min(len(w), len(v)))
		d := distance(w, v, allowed)
		switch {
		case d > allowed || d > bestD:
		case d == bestD:
			tie = tie || v != best
		default:
			best, bestD, tie = v, d, false
		}
	}
	if tie || best == "" {
		return "", 0
	}
	return best, bestD
}

// asciiLetters reports whether s is one or more of the letters a to z. It
// is asked of nearly every word of every message, where a regular
// expression costs several times this loop.
func asciiLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return s != ""
}

// allowance is how many letters may be wrong in a word of n letters: none
// in a short word, where one letter makes another word ("bok", "box"),
// one up to seven letters, two beyond.
func allowance(n int) int {
	switch {
	case n <= 3:
		return 0
	case n <= 7:
		return 1
	}
	return 2
}

// distance is the Damerau-Levenshtein distance between a and b (in its
// optimal string alignment form: an insertion, a deletion, a changed
// letter or two letters swapped each cost one), or more than most when it
// is more than most. a and b are ASCII.
func distance(a, b string, most int) int {
	if d := len(a) - len(b); d > most || -d > most {
		return most + 1
	}
	// Letters one word has and the other lacks each take an edit: a cheap
	// bound that spares most pairs the full count.
	var bag [256]int8
	for i := 0; i < len(a); i++ {
		bag[a[i]]++
	}
	for i := 0; i < len(b); i++ {
		bag[b[i]]--
	}
	extra, lacking := 0, 0
	for i := 0; i < len(a); i++ {
		extra += int(max(bag[a[i]], 0))
		bag[a[i]] = min(bag[a[i]], 0)
	}
	for i := 0; i < len(b); i++ {
		lacking -= int(min(bag[b[i]], 0))
		bag[b[i]] = 0
	}
	if max(extra, lacking) > most {
		return most + 1
	}
	var rows [3][maxNear + 1]int
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= len(b); j++ {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > most {
			return most + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
