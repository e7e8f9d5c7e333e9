package understand

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
)

// keyed is a regular expression that first looks for the words every
// match of it holds, found from its syntax when it is compiled: text that
// holds none of them cannot match, and is not scanned. A long alternation
// costs a scan of the whole text at every word, most of all under the
// race detector, which sees each step of it; most messages hold none of
// its words. Methods it does not guard scan as the regexp does.
type keyed struct {
	*regexp.Regexp
	keys []string // nil: nothing every match holds; every text is scanned
}

// mustKeyed compiles expr, as regexp.MustCompile, with its keys.
func mustKeyed(expr string) keyed {
	re := regexp.MustCompile(expr)
	tree, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		panic("understand: keys of " + expr + ": " + err.Error())
	}
	keys, _ := matchHolds(tree)
	return keyed{re, keys}
}

// may reports whether s holds one of the keys, without which no match.
func (k keyed) may(s string) bool {
	return k.keys == nil || slices.ContainsFunc(k.keys, func(key string) bool { return strings.Contains(s, key) })
}

func (k keyed) MatchString(s string) bool { return k.may(s) && k.Regexp.MatchString(s) }

func (k keyed) FindAllStringIndex(s string, n int) [][]int {
	if !k.may(s) {
		return nil
	}
	return k.Regexp.FindAllStringIndex(s, n)
}

func (k keyed) FindStringSubmatchIndex(s string) []int {
	if !k.may(s) {
		return nil
	}
	return k.Regexp.FindStringSubmatchIndex(s)
}

// matchHolds returns strings of which every match of re holds one, and
// whether there are any: a part that matches only a few strings holds
// one of them (a run of such parts, one of their joins), a sequence what
// any one of its parts or runs holds (the choice whose shortest string is
// longest, the rarest in text), a choice what each of its branches
// holds. What may be absent (an optional part, a class of many
// characters, an empty match, a case-folded literal) holds nothing sure.
func matchHolds(re *syntax.Regexp) ([]string, bool) {
	if all, ok := matches(re); ok && !slices.Contains(all, "") {
		return fewest(all), true
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return matchHolds(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return matchHolds(re.Sub[0])
		}
	case syntax.OpConcat:
		var best []string
		better := func(keys []string) {
			if !slices.Contains(keys, "") && (best == nil || shortest(keys) > shortest(best)) {
				best = keys
			}
		}
		run := []string{""}
		for _, sub := range re.Sub {
			if all, ok := matches(sub); ok && len(run)*len(all) <= maxKeys {
				run = joins(run, all)
				continue
			}
			better(run)
			run = []string{""}
			if all, ok := matches(sub); ok {
				run = all
			} else if keys, ok := matchHolds(sub); ok {
				better(keys)
			}
		}
		better(run)
		return fewest(best), best != nil
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			keys, ok := matchHolds(sub)
			if !ok {
				return nil, false
			}
			all = append(all, keys...)
		}
		return fewest(all), true
	}
	return nil, false
}

// maxKeys bounds the strings one part of an expression is read as.
const maxKeys = 32

// matches returns every string re matches, when they are few: a
// literal, a small class, a choice or sequence of those, or an empty
// match ("" for each place it may stand, \b too: it matches no
// character).
func matches(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{string(re.Rune)}, re.Flags&syntax.FoldCase == 0
	case syntax.OpCharClass:
		var all []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if all = append(all, string(r)); len(all) > maxKeys {
					return nil, false
				}
			}
		}
		return all, true
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []string{""}, true
	case syntax.OpCapture:
		return matches(re.Sub[0])
	case syntax.OpQuest:
		all, ok := matches(re.Sub[0])
		return append(all, ""), ok && len(all) < maxKeys
	case syntax.OpConcat:
		all := []string{""}
		for _, sub := range re.Sub {
			part, ok := matches(sub)
			if !ok || len(all)*len(part) > maxKeys {
				return nil, false
			}
			all = joins(all, part)
		}
		return all, true
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			part, ok := matches(sub)
			if all = append(all, part...); !ok || len(all) > maxKeys {
				return nil, false
			}
		}
		return all, true
	}
	return nil, false
}

// joins is each of heads followed by each of tails.
func joins(heads, tails []string) []string {
	var out []string
	for _, h := range heads {
		for _, t := range tails {
			out = append(out, h+t)
		}
	}
	return out
}

// shortest is the length of the shortest of keys.
func shortest(keys []string) int {
	return len(slices.MinFunc(keys, func(a, b string) int { return len(a) - len(b) }))
}

// fewest is keys without those that hold another: text that holds the
// longer holds the shorter.
func fewest(keys []string) []string {
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	return slices.DeleteFunc(slices.Clone(keys), func(k string) bool {
		return slices.ContainsFunc(keys, func(other string) bool { return other != k && strings.Contains(k, other) })
	})
}
