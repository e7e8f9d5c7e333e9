package understand

import (
	"regexp"
	"slices"
	"testing"
)

// FuzzNextWord checks the word scan against the regular expression it
// stands for, invalid UTF-8 included.
func FuzzNextWord(f *testing.F) {
	for _, s := range []string{"New to caring?", "carer's 'quoted' words", "café ² ½ 日本語", "a\xffb", "\xe2\x80", "''", ""} {
		f.Add(s)
	}
	wordRe := regexp.MustCompile(`[\p{L}\p{N}']+`)
	f.Fuzz(func(t *testing.T, s string) {
		var got [][]int
		for start, end := nextWord(s, 0); end >= 0; start, end = nextWord(s, end) {
			got = append(got, []int{start, end})
		}
		if want := wordRe.FindAllStringIndex(s, -1); !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("nextWord(%q) found %v, want %v", s, got, want)
		}
	})
}
