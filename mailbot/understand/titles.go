package understand

import (
	"encoding/binary"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
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

// generic words appear in many titles or many emails, and in job titles
// and the names of teams ("Community Learning Disability Team"); alone
// they name nothing, however long and whichever title has them.
var generic = map[string]bool{
	"carers": true, "carer": true, "caring": true, "care": true, "support": true, "time": true,
	"people": true, "day": true, "local": true, "new": true, "good": true, "together": true,
	"community": true, "learning": true, "online": true, "morning": true, "afternoon": true,
	"evening": true, "group": true, "groups": true, "sessions": true, "conversation": true,
	"conversations": true, "meeting": true, "service": true, "services": true, "health": true,
	"family": true, "families": true, "social": true, "break": true, "independent": true,
}

func words(s string) []string {
	ws, _, _ := wordsAt(s)
	return ws
}

// wordsAt returns the words of s and the byte offsets where each starts and
// ends.
func wordsAt(s string) (ws []string, starts, ends []int) {
	s = strings.ToLower(s)
	n := 0
	for _, end := nextWord(s, 0); end >= 0; _, end = nextWord(s, end) {
		n++
	}
	ws, starts, ends = make([]string, 0, n), make([]int, 0, n), make([]int, 0, n)
	for start, end := nextWord(s, 0); end >= 0; start, end = nextWord(s, end) {
		ws = append(ws, strings.TrimSuffix(strings.Trim(s[start:end], "'"), "'s"))
		starts, ends = append(starts, start), append(ends, end)
	}
	return ws, starts, ends
}

// nextWord returns where the first word of s at or after byte i starts and
// ends, or -1, -1 when there is none. A word is a longest run of letters,
// digits and apostrophes, as the regular expression [\p{L}\p{N}']+ finds
// them (a byte that is not UTF-8 ends a word); a scan costs a fraction of
// the regular expression, and words are read several times a message.
func nextWord(s string, i int) (start, end int) {
	start = -1
	for i < len(s) {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		in := r == '\'' || unicode.IsLetter(r) || unicode.IsNumber(r)
		switch {
		case in && start < 0:
			start = i
		case !in && start >= 0:
			return start, i
		}
		i += size
	}
	if start < 0 {
		return -1, -1
	}
	return start, len(s)
}

// findTitles returns the titles s names: a title is named by two of its
// meaningful words written together in its own order ("new to caring"), or
// by one long word no other title has ("independence"). A word a letter or
// two from a title's word counts as that word ("New to carring"), but
// alone it names a title only when a single letter is wrong: "independent"
// is a word of its own, "independance" a slip.
func findTitles(s string, titles []string) []Pattern {
	ix := titleIndexOf(titles)
	text, offsets, ends := wordsAt(s)
	miss := nearTitleWords(text, ix)
	pos := map[string][]int{}
	for i, w := range text {
		pos[w] = append(pos[w], i)
	}
	var out []Pattern
	done := map[string]bool{}
	for i, t := range titles {
		if done[t] {
			continue
		}
		done[t] = true
		for _, at := range named(text, pos, miss, ix.words[i], ix.owners) {
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
func nearTitleWords(text []string, ix *titleIndex) []int {
	miss := make([]int, len(text))
	for i, w := range text {
		if ix.inTitle[w] || stopWords[w] || generic[w] {
			continue
		}
		if v, d := nearest(w, ix.vocab); v != "" {
			text[i], miss[i] = v, d
		}
	}
	return miss
}

// titleIndex is what reading needs to know of a list of titles. Every
// message is read against the same list, and twice or more (the subject,
// the words, each question), so titleIndexOf works it out once per list.
// It is never changed once made.
type titleIndex struct {
	words   [][]string      // the words of each title, in the list's order
	inTitle map[string]bool // every word of any title
	vocab   []string        // the title words near misses are corrected to: each once, no stop words
	owners  map[string]int  // how many different titles have each word
}

func newTitleIndex(titles []string) *titleIndex {
	ix := &titleIndex{words: make([][]string, len(titles)), inTitle: map[string]bool{}, owners: map[string]int{}}
	seenTitle := map[string]bool{}
	for i, t := range titles {
		ix.words[i] = words(t)
		for _, w := range ix.words[i] {
			if !ix.inTitle[w] && !stopWords[w] {
				ix.vocab = append(ix.vocab, w)
			}
			ix.inTitle[w] = true
		}
		if seenTitle[t] {
			continue
		}
		seenTitle[t] = true
		for w := range set(ix.words[i]) {
			ix.owners[w]++
		}
	}
	return ix
}

// lately holds the values made from the lists lately read against, keyed
// by listKey. Messages are parsed on several goroutines, so it is guarded.
// It is emptied when full: the timetable changes seldom, so a few lists
// are all that are in use at once.
type lately[T any] struct {
	sync.Mutex
	m    map[string]T
	make func(lists [][]string) T
}

const maxLately = 32

// of is the value made from lists, made once.
func (l *lately[T]) of(lists ...[]string) T {
	var buf [512]byte
	key := buf[:0]
	for _, list := range lists {
		key = listKey(key, list)
	}
	l.Lock()
	defer l.Unlock()
	if v, ok := l.m[string(key)]; ok {
		return v
	}
	if l.m == nil || len(l.m) >= maxLately {
		l.m = map[string]T{}
	}
	v := l.make(lists)
	l.m[string(key)] = v
	return v
}

var titleIndexes = lately[*titleIndex]{make: func(lists [][]string) *titleIndex { return newTitleIndex(lists[0]) }}

var noTitles = newTitleIndex(nil)

// titleIndexOf returns the index of titles, made once per list.
func titleIndexOf(titles []string) *titleIndex {
	if len(titles) == 0 {
		return noTitles
	}
	return titleIndexes.of(titles)
}

// listKey appends to b the list's length and each string preceded by its
// length, so that no two lists, nor two runs of lists, share a key
// whatever bytes they hold.
func listKey(b []byte, list []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(list)))
	for _, t := range list {
		b = binary.AppendUvarint(b, uint64(len(t)))
		b = append(b, t...)
	}
	return b
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
			for j := i; j < len(title) && q < len(text); j, q = j+1, q+1 {
				if !sameWord(text[q], title[j]) {
					// "carers break" for "carers a break": a stop word
					// of the title people leave out.
					if !stopWords[title[j]] || j+1 >= len(title) || !sameWord(text[q], title[j+1]) || j == i {
						break
					}
					j++
				}
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

// sameWord reports whether a word written stands for a title's word:
// itself, or another of its family ("new carers" for "New to caring").
func sameWord(w, title string) bool {
	return w == title || wordFamily[w] != "" && wordFamily[w] == wordFamily[title]
}

// wordFamily groups the words people use for one another in titles.
var wordFamily = map[string]string{"carer": "care", "carers": "care", "caring": "care", "care": "care"}

func set(ws []string) map[string]bool {
	m := map[string]bool{}
	for _, w := range ws {
		m[w] = true
	}
	return m
}
