package understand

import "slices"

// People name a session by what it is about as often as by its title:
// "the opening conversation", "the one with nature walks". Two words in a
// row of a session's description (stop words aside) are evidence when no
// other session's description or title has them both: one word never is.

// aboutStop are words, besides the titles' stop words, that say nothing
// of what a session is about.
var aboutStop = map[string]bool{
	"into": true, "from": true, "about": true, "their": true, "they": true, "would": true, "like": true,
	"who": true, "have": true, "has": true, "or": true, "so": true, "keep": true, "grow": true,
}

// describedPair is two words in a row of one description.
type describedPair struct{ a, b string }

// findDescribed returns the sessions s names by two words of their
// description, for titles not in named already. about[i] describes
// titles[i]; either may be shorter (no description).
func findDescribed(s string, titles, about []string, named []Pattern) []Pattern {
	if len(about) == 0 {
		return nil
	}
	owners := map[describedPair][]int{}
	for i, d := range about {
		ws := contentWords(words(normalise(d)))
		for j := 1; j < len(ws); j++ {
			p := describedPair{ws[j-1], ws[j]}
			if !slices.Contains(owners[p], i) && (!generic[p.a] || !generic[p.b]) {
				owners[p] = append(owners[p], i)
			}
		}
	}
	text, starts, ends := wordsAt(s)
	var idx []int // the content words of s, by index into text
	for i, w := range text {
		if !stopWords[w] && !aboutStop[w] {
			idx = append(idx, i)
		}
	}
	var out []Pattern
	for k := 1; k < len(idx); k++ {
		at, end := idx[k-1], idx[k]
		if end-at > 3 {
			continue // "nature … walks" far apart are not one phrase
		}
		own := owners[describedPair{text[at], text[end]}]
		if len(own) != 1 || own[0] >= len(titles) {
			continue
		}
		t := titles[own[0]]
		if slices.ContainsFunc(named, func(p Pattern) bool { return p.Title == t }) ||
			slices.ContainsFunc(out, func(p Pattern) bool { return p.Title == t }) || titleShares(t, text[at], text[end], titles) {
			continue
		}
		out = append(out, Pattern{Title: t, Said: s[starts[at]:ends[end]], at: starts[at], end: ends[end]})
	}
	return out
}

// titleShares reports whether another title than t has both words.
func titleShares(t, a, b string, titles []string) bool {
	for _, o := range titles {
		if o == t {
			continue
		}
		ws := words(normalise(o))
		if slices.Contains(ws, a) && slices.Contains(ws, b) {
			return true
		}
	}
	return false
}

// contentWords are ws without stop words.
func contentWords(ws []string) []string {
	var out []string
	for _, w := range ws {
		if !stopWords[w] && !aboutStop[w] {
			out = append(out, w)
		}
	}
	return out
}
