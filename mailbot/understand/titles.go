package understand

import (
	"regexp"
	"strings"
)

// stopWords carry no meaning of their own in a session title. "Better Days"
// is the programme's name, in every subject line, so it names no session.
var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "the": true, "to": true, "of": true, "do": true, "we": true,
	"you": true, "what": true, "how": true, "my": true, "our": true, "for": true, "i": true, "is": true,
	"are": true, "on": true, "in": true, "by": true, "with": true, "your": true, "it": true, "at": true,
	"better": true, "days": true, "one": true, "session": true, "me": true, "us": true, "can": true,
	"want": true, "need": true, "please": true, "book": true, "be": true, "this": true, "that": true,
}

// generic words appear in many titles or many emails; alone they name
// nothing.
var generic = map[string]bool{
	"carers": true, "carer": true, "caring": true, "care": true, "support": true, "time": true,
	"people": true, "day": true, "local": true, "new": true, "good": true, "together": true,
}

var wordRe = regexp.MustCompile(`[\p{L}\p{N}']+`)

func words(s string) []string {
	ws, _, _ := wordsAt(s)
	return ws
}

// wordsAt returns the words of s and the byte offsets where each starts and
// ends.
func wordsAt(s string) (ws []string, starts, ends []int) {
	s = strings.ToLower(s)
	locs := wordRe.FindAllStringIndex(s, -1)
	ws, starts, ends = make([]string, len(locs)), make([]int, len(locs)), make([]int, len(locs))
	for i, l := range locs {
		ws[i] = strings.TrimSuffix(strings.Trim(s[l[0]:l[1]], "'"), "'s")
		starts[i], ends[i] = l[0], l[1]
	}
	return ws, starts, ends
}

// findTitles returns the titles s names: a title is named by two of its
// meaningful words written together in its own order ("new to caring"), or
// by one long word no other title has ("independence").
func findTitles(s string, titles []string) []Pattern {
	text, offsets, ends := wordsAt(s)
	pos := map[string][]int{}
	for i, w := range text {
		pos[w] = append(pos[w], i)
	}
	owners := map[string]int{}
	seenTitle := map[string]bool{}
	for _, t := range titles {
		if seenTitle[t] {
			continue
		}
		seenTitle[t] = true
		for w := range set(words(t)) {
			owners[w]++
		}
	}
	var out []Pattern
	done := map[string]bool{}
	for _, t := range titles {
		if done[t] {
			continue
		}
		done[t] = true
		if first, last, ok := named(text, pos, words(t), owners); ok {
			out = append(out, Pattern{Title: t, Said: t, at: offsets[first], end: ends[last]})
		}
	}
	return out
}

// named reports whether the text's words name a title, and which of them
// do (the first and last word's index).
func named(text []string, pos map[string][]int, title []string, owners map[string]int) (int, int, bool) {
	// Three title words running together, or two meaningful ones with only
	// stop words between, as in the title ("by your side", "new to caring").
	for i := range title {
		for _, p := range pos[title[i]] {
			sig, q := 0, p
			for j := i; j < len(title) && q < len(text) && text[q] == title[j]; j, q = j+1, q+1 {
				if !stopWords[title[j]] {
					sig++
				}
				if (sig >= 2 || (sig >= 1 && q-p >= 2)) && !stopWords[text[q]] {
					return p, q, true
				}
			}
		}
	}
	for _, w := range title {
		if len(w) >= 6 && owners[w] == 1 && !stopWords[w] && !generic[w] && len(pos[w]) > 0 {
			return pos[w][0], pos[w][0], true
		}
	}
	return 0, 0, false
}

func set(ws []string) map[string]bool {
	m := map[string]bool{}
	for _, w := range ws {
		m[w] = true
	}
	return m
}
