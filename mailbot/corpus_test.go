package mailbot

// TestCorpus measures the bot against the reading corpus
// (understand/testdata/corpus: whole messages written from personas, each
// with the reading a careful officer would give it, in the format its
// README gives). Each message is one subtest, category/name, played end to
// end through a desk of its own: the state its .want describes is built
// the way a person would build it (bookings by their own email, the
// confirmation, reminder, list, join or erasure question really sent by
// the bot), the message is delivered with its citations rewritten to the
// message the bot sent, and what the bot then did — bookings, list,
// erasure, the mail it sent — is compared with expect:, not:, places:,
// phone: and needs:, one small check per verb (corpusVerbs).
//
// Run it with
//
//	go test ./mailbot -run TestCorpus -v
//
// which prints each misreading, a score per category and, last,
// "N passed, M failed".
//
// The reading work is in progress, so a misread message does not fail
// the suite by itself (its subtest logs "misread:" with what was expected
// and what the bot did). What fails is a category scoring below its floor
// in testdata/corpus-floor.txt: a change that reads worse than before.
// When a change reads better, raise the floor with
//
//	go test ./mailbot -run TestCorpus -corpus.update
//
// and commit the file. -corpus.strict fails every misread subtest, for
// whoever works through them. A .want using a verb the harness cannot
// check yet (corpusUnchecked) is not guessed at: it is counted and named
// as unchecked.

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var (
	corpusUpdate = flag.Bool("corpus.update", false, "raise testdata/corpus-floor.txt to the corpus scores of this run")
	corpusStrict = flag.Bool("corpus.strict", false, "fail every corpus message the bot misreads")
	// Reading the replies themselves is how a reply that is right by the
	// .want but cold or confusing to its reader is found.
	corpusShow = flag.Bool("corpus.show", false, "log the text of every reply the bot sends to each corpus message")
)

const (
	corpusDir   = "understand/testdata/corpus"
	corpusFloor = "testdata/corpus-floor.txt"
)

// corpusWant is one .want file.
type corpusWant struct {
	context     string   // new, confirmation, reminder, list, join-request, erasure-question, newsletter, forward
	contextArgs []string // the session ids of a confirmation, a reminder or a list
	booked      []string
	waiting     []string
	staff       bool
	forAddr     string
	expect, not [][]string // each a verb and its arguments
	places      int
	phone       string
	needs       []string
}

func readWant(path string) (corpusWant, error) {
	f, err := os.Open(path)
	if err != nil {
		return corpusWant{}, err
	}
	defer f.Close()
	var w corpusWant
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		key, value, ok := strings.Cut(line, ":")
		key = strings.TrimSpace(key)
		if !ok || strings.HasPrefix(key, "#") || key == "persona" {
			continue
		}
		value, _, _ = strings.Cut(value, "#")
		fields := strings.Fields(value)
		switch key {
		case "context":
			if len(fields) == 0 {
				return w, fmt.Errorf("%s: empty context", path)
			}
			w.context, w.contextArgs = fields[0], fields[1:]
		case "booked":
			w.booked = append(w.booked, fields...)
		case "waiting":
			w.waiting = append(w.waiting, fields...)
		case "staff":
			w.staff = strings.TrimSpace(value) == "yes"
		case "for":
			w.forAddr = strings.ToLower(strings.TrimSpace(value))
		case "expect":
			w.expect = append(w.expect, fields)
		case "not":
			w.not = append(w.not, fields)
		case "places":
			if w.places, err = strconv.Atoi(strings.TrimSpace(value)); err != nil {
				return w, fmt.Errorf("%s: places: %w", path, err)
			}
		case "phone":
			w.phone = strings.TrimSpace(value)
		case "needs":
			for _, n := range strings.Split(value, ";") {
				if n = strings.TrimSpace(n); n != "" {
					w.needs = append(w.needs, n)
				}
			}
		default:
			return w, fmt.Errorf("%s: unknown key %q", path, key)
		}
	}
	return w, sc.Err()
}

// corpusScore is one category's result.
type corpusScore struct {
	files          int // .want files in the category
	passed, failed int
	unchecked      []string
	misread        []string
}

// whole is whether the run played all the category: one narrowed by -run
// says nothing against its floor.
func (s *corpusScore) whole() bool { return s.passed+s.failed+len(s.unchecked) == s.files }

func TestCorpus(t *testing.T) {
	t.Parallel()
	cats, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	// The subtests run in parallel; mu guards the scores they count into,
	// which are summed once they have all finished (the Cleanup below).
	var mu sync.Mutex
	scores := map[string]*corpusScore{}
	var names []string
	for _, cat := range cats {
		if !cat.IsDir() {
			continue
		}
		wants, err := filepath.Glob(filepath.Join(corpusDir, cat.Name(), "*.want"))
		if err != nil {
			t.Fatal(err)
		}
		s := &corpusScore{files: len(wants)}
		scores[cat.Name()] = s
		names = append(names, cat.Name())
		for _, wantPath := range wants {
			name := strings.TrimSuffix(filepath.Base(wantPath), ".want")
			t.Run(cat.Name()+"/"+name, func(t *testing.T) {
				t.Parallel()
				w, err := readWant(wantPath)
				if err != nil {
					t.Fatal(err)
				}
				if v := corpusUnchecked(w); v != "" {
					mu.Lock()
					s.unchecked = append(s.unchecked, name+" ("+v+")")
					mu.Unlock()
					t.Skipf("unchecked: the harness cannot check %q yet", v)
				}
				raw, err := os.ReadFile(strings.TrimSuffix(wantPath, ".want") + ".eml")
				if err != nil {
					t.Fatal(err)
				}
				problems, did, replies := playCorpus(t, w, raw)
				if *corpusShow {
					t.Logf("the bot: %s\n%s", did, replies)
				}
				mu.Lock()
				defer mu.Unlock()
				if len(problems) == 0 {
					s.passed++
					return
				}
				s.failed++
				s.misread = append(s.misread, name)
				msg := fmt.Sprintf("misread: %s\n\tthe bot: %s", strings.Join(problems, "; "), did)
				if *corpusStrict {
					t.Error(msg)
				} else {
					t.Log(msg)
				}
			})
		}
	}
	sort.Strings(names)
	// A test's cleanups run after its parallel subtests have finished.
	t.Cleanup(func() { corpusSummary(t, names, scores) })
}

// corpusSummary checks each category of scores against its floor (or
// raises the floors, with -corpus.update) and prints the score lines.
func corpusSummary(t *testing.T, names []string, scores map[string]*corpusScore) {
	for _, s := range scores {
		// Parallel subtests finish in any order; the lists are named sorted.
		sort.Strings(s.unchecked)
		sort.Strings(s.misread)
	}
	floor, err := readCorpusFloor()
	if err != nil && !*corpusUpdate {
		t.Errorf("%v (make it with -corpus.update)", err)
	}
	var passed, failed, unchecked int
	var out strings.Builder
	for _, c := range names {
		s := scores[c]
		fmt.Fprintf(&out, "%-18s %3d/%-3d passed", c, s.passed, s.passed+s.failed)
		if len(s.unchecked) > 0 {
			fmt.Fprintf(&out, ", %d unchecked: %s", len(s.unchecked), strings.Join(s.unchecked, ", "))
		}
		out.WriteString("\n")
		if f, ok := floor[c]; ok && s.whole() && s.passed < f && !*corpusUpdate {
			t.Errorf("corpus category %s: %d passed, below its floor of %d: a change reads worse (misread: %s)",
				c, s.passed, f, strings.Join(s.misread, ", "))
		}
		passed, failed, unchecked = passed+s.passed, failed+s.failed, unchecked+len(s.unchecked)
	}
	if *corpusUpdate {
		if err := writeCorpusFloor(names, scores, floor); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Fprintf(&out, "%d unchecked\n", unchecked)
	fmt.Fprintf(&out, "%d passed, %d failed\n", passed, failed)
	// Printed, not logged, so the score line is the very last of -v's
	// output whatever the subtests logged.
	fmt.Print(out.String())
}

// readCorpusFloor reads "category passed" lines.
func readCorpusFloor() (map[string]int, error) {
	b, err := os.ReadFile(corpusFloor)
	if err != nil {
		return nil, err
	}
	floor := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("%s: bad line %q", corpusFloor, line)
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", corpusFloor, err)
		}
		floor[f[0]] = n
	}
	return floor, nil
}

// writeCorpusFloor writes each category's score as its floor; a category
// the run played only part of keeps the floor it had.
func writeCorpusFloor(names []string, scores map[string]*corpusScore, old map[string]int) error {
	var b strings.Builder
	b.WriteString("# The fewest corpus messages of each category the bot must read right (TestCorpus).\n")
	b.WriteString("# Raise with: go test ./mailbot -run TestCorpus -corpus.update\n")
	for _, c := range names {
		n := scores[c].passed
		if !scores[c].whole() {
			n = old[c]
		}
		fmt.Fprintf(&b, "%s %d\n", c, n)
	}
	return os.WriteFile(corpusFloor, []byte(b.String()), 0o644)
}

// corpusUnchecked is the first verb of w the harness cannot check, or "".
func corpusUnchecked(w corpusWant) string {
	for _, e := range slices.Concat(w.expect, w.not) {
		if len(e) == 0 {
			return "an empty line"
		}
		v, ok := corpusVerbs[e[0]]
		if !ok || v.check == nil {
			return e[0]
		}
	}
	return ""
}

// ctxBg is the context of every store call here.
var ctxBg = context.Background()
