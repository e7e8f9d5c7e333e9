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
// by one long word no other title has ("independence"). A word a letter or
// two from a title's word counts as that word ("New to carring"), but
// alone it names a title only when a single letter is wrong: "independent"
// is a word of its own, "independance" a slip.
func findTitles(s string, titles []string) []Pattern {
	text, offsets, ends := wordsAt(s)
	miss := nearTitleWords(text, titles)
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
		for _, at := range named(text, pos, miss, words(t), owners) {
			out = append(out, Pattern{Title: t, Said: t, at: offsets[at[0]], end: ends[at[1]]})
		}
	}
	sortByPosition(out)
	return out
}

// nearTitleWords replaces each word of text that is a near miss of a
// meaningful title word with that word, and returns how many letters each
// word was out (0 for one written right). Words that mean something of
// their own here (stop words, generic ones, "care") are left alone.
func nearTitleWords(text []string, titles []string) []int {
	inTitle := map[string]bool{}
	var vocab []string
	for _, t := range titles {
		for _, w := range words(t) {
			if !inTitle[w] && !stopWords[w] {
				vocab = append(vocab, w)
			}
			inTitle[w] = true
		}
	}
	miss := make([]int, len(text))
	for i, w := range text {
		if inTitle[w] || stopWords[w] || generic[w] {
			continue
		}
		if v, d := nearest(w, vocab); v != "" {
			text[i], miss[i] = v, d
		}
	}
	return miss
}

// named returns where the text's words name a title, each place as the
// index of its first and last word. A title is often written twice (in
// the subject and again beside its date), and combine wants the place
// that sits by the date.
func named(text []string, pos map[string][]int, miss []int, title []string, owners map[string]int) [][2]int {
	var out [][2]int
	taken := make([]bool, len(text))
	add := func(p, q int) {
		for i := p; i <= q; i++ {
			if taken[i] {
				return
			}
		}
		for i := p; i <= q; i++ {
			taken[i] = true
		}
		out = append(out, [2]int{p, q})
	}
	// Three title words running together, or two meaningful ones with only
	// stop words between, as in the title ("by your side", "new to caring"),
	// or the whole title when it is two words ("carers session").
	for i := range title {
		for _, p := range pos[title[i]] {
			sig, q, last := 0, p, -1
			// As far as the title's words run on, so its place ends where
			// the person's naming of it does.
			for j := i; j < len(title) && q < len(text) && text[q] == title[j]; j, q = j+1, q+1 {
				if !stopWords[title[j]] {
					sig++
				}
				whole := i == 0 && j == len(title)-1 && j > 0
				if (sig >= 2 || sig >= 1 && q-p >= 2) && !stopWords[text[q]] || sig >= 1 && whole {
					last = q
				}
			}
			if last >= 0 {
				add(p, last)
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, w := range title {
		if len(w) >= 6 && owners[w] == 1 && !stopWords[w] && !generic[w] {
			for _, p := range pos[w] {
				if miss[p] <= 1 {
					add(p, p)
				}
			}
		}
	}
	return out
}

func set(ws []string) map[string]bool {
	m := map[string]bool{}
	for _, w := range ws {
		m[w] = true
	}
	return m
}
