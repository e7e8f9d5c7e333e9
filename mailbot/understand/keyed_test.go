package understand

import (
	"math/rand/v2"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
)

// TestMatchHolds: the keys read from an expression's syntax, and none
// where a match may hold nothing sure.
func TestMatchHolds(t *testing.T) {
	t.Parallel()
	for expr, want := range map[string][]string{
		`\bfoo\b`:            {"foo"},
		`can'?t (go|come)`:   {"can't come", "can't go", "cant come", "cant go"},
		`(a|b)c`:             {"ac", "bc"},
		`a[^b]+cd`:           {"cd"},
		`\b(cancel\w*|stop)`: {"cancel", "stop"},
		`x{2,3}y`:            {"x"},
		`hurt(ing)?|harm`:    {"harm", "hurt"},
		`(?i)abc`:            nil,
		`a*`:                 nil,
		`x|y*`:               nil,
		`^$`:                 nil,
		`\b\w+\b`:            nil,
	} {
		if got := mustKeyed(expr).keys; !slices.Equal(got, want) {
			t.Errorf("keys of %s = %q, want %q", expr, got, want)
		}
	}
}

// TestKeyedHoldsEveryMatch: whatever a keyed expression matches holds one
// of its keys, for text made at random from the expression itself, so
// that text without them is rightly not scanned.
func TestKeyedHoldsEveryMatch(t *testing.T) {
	t.Parallel()
	all := append([]keyed{urgentWords, needWords, justMe, placesCount, placesPlus, placesMake, placesCompanion,
		cancelWords, moveWords, dropinWords, bookWords, attendeeWords, listWords, helpWords, subscribeWords, unsubscribeWords,
		complaintWords, askForPerson, bereaved, viewsWords, namedConsent, speaksForAnother, inPersonWords, remoteWords}, forgetWords...)
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, k := range all {
		if k.keys == nil {
			t.Errorf("%s: no keys", k)
			continue
		}
		tree, err := syntax.Parse(k.String(), syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		matched, unheld := 0, ""
		for range 100 {
			s := "x " + sample(rnd, tree) + " x"
			locs := k.Regexp.FindAllStringIndex(s, -1)
			if len(locs) > 0 {
				matched++
			}
			for _, loc := range locs {
				if m := s[loc[0]:loc[1]]; !k.may(m) {
					unheld = m
				}
			}
		}
		if unheld != "" {
			t.Errorf("%.60s… matches %q, which holds none of its keys", k, unheld)
		}
		if matched < 30 {
			t.Errorf("%.60s…: only %d of 100 samples match", k, matched)
		}
	}
}

// sample is a string re matches, mostly: a word boundary is a space,
// which meets it where the expression puts it, by a word; other
// empty-width assertions (line starts) are not met.
func sample(rnd *rand.Rand, re *syntax.Regexp) string {
	repeat := func(lo, hi int) string {
		if hi < 0 {
			hi = lo + 3
		}
		var b strings.Builder
		for range lo + rnd.IntN(hi-lo+1) {
			b.WriteString(sample(rnd, re.Sub[0]))
		}
		return b.String()
	}
	switch re.Op {
	case syntax.OpLiteral:
		return string(re.Rune)
	case syntax.OpCharClass:
		// Mostly a letter or a space, when it may be: the words around
		// them meet the word boundaries.
		if r := rune(" abcdefghijklmnopqrstuvwxyz"[rnd.IntN(27)]); rnd.IntN(4) > 0 && inClass(re, r) {
			return string(r)
		}
		i := 2 * rnd.IntN(len(re.Rune)/2)
		return string(re.Rune[i] + rune(rnd.IntN(int(min(re.Rune[i+1]-re.Rune[i], 25))+1)))
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		return "z"
	case syntax.OpWordBoundary:
		return " "
	case syntax.OpCapture:
		return sample(rnd, re.Sub[0])
	case syntax.OpStar:
		return repeat(0, -1)
	case syntax.OpPlus:
		return repeat(1, -1)
	case syntax.OpQuest:
		return repeat(0, 1)
	case syntax.OpRepeat:
		return repeat(re.Min, re.Max)
	case syntax.OpConcat:
		var b strings.Builder
		for _, sub := range re.Sub {
			b.WriteString(sample(rnd, sub))
		}
		return b.String()
	case syntax.OpAlternate:
		return sample(rnd, re.Sub[rnd.IntN(len(re.Sub))])
	}
	return ""
}

func inClass(re *syntax.Regexp, r rune) bool {
	for i := 0; i+1 < len(re.Rune); i += 2 {
		if re.Rune[i] <= r && r <= re.Rune[i+1] {
			return true
		}
	}
	return false
}
