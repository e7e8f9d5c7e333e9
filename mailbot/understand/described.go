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
	// Verbs every email has: "we'd like to come together" asks for no
	// session whose description says "to come together".
	"come": true, "go": true, "get": true, "getting": true, "got": true,
}

// describedPair is two words in a row of one description.
type describedPair struct{ a, b string }

// describedIndex is, for each pair of words in a row of the descriptions,
// the title whose description alone has them, and no other title has
// both: made once per timetable (see lately).
type describedIndex map[describedPair]string

var describedIndexes = lately[describedIndex]{make: func(lists [][]string) describedIndex {
	return newDescribedIndex(lists[0], lists[1])
}}

func newDescribedIndex(titles, about []string) describedIndex {
	owners := map[describedPair][]int{}
	for i, d := range about[:min(len(about), len(titles))] {
		ws := contentWords(words(normalise(d)))
		for j := 1; j < len(ws); j++ {
			p := describedPair{ws[j-1], ws[j]}
			if !slices.Contains(owners[p], i) && (!generic[p.a] || !generic[p.b]) {
				owners[p] = append(owners[p], i)
			}
		}
	}
	ix := describedIndex{}
	for p, own := range owners {
		if len(own) == 1 && !titleShares(titles[own[0]], p.a, p.b, titles) {
			ix[p] = titles[own[0]]
		}
	}
	return ix
}

// findDescribed returns the sessions s names by two words of their
// description, for titles not in named already. about[i] describes
// titles[i]; either may be shorter (no description).
func findDescribed(s string, titles, about []string, named []Pattern) []Pattern {
	if len(about) == 0 || len(titles) == 0 {
		return nil
	}
	ix := describedIndexes.of(titles, about)
	text, starts, ends := wordsAt(s)
	var idx []int // the content words of s, by index into text
	for i, w := range text {
		if content(w) {
			idx = append(idx, i)
		}
	}
	var out []Pattern
	for k := 1; k < len(idx); k++ {
		at, end := idx[k-1], idx[k]
		if end-at > 3 {
			continue // "nature … walks" far apart are not one phrase
		}
		t, ok := ix[describedPair{text[at], text[end]}]
		if !ok || slices.ContainsFunc(named, func(p Pattern) bool { return p.Title == t }) ||
			slices.ContainsFunc(out, func(p Pattern) bool { return p.Title == t }) {
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
	return slices.DeleteFunc(ws, func(w string) bool { return !content(w) })
}

// content reports whether w says something of what a session is about.
func content(w string) bool { return !stopWords[w] && !aboutStop[w] }
