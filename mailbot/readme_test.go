package mailbot

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeExamplesAreTested: every example the README's "What people can
// write" table gives, in the words people write, is the input of a test
// (a _test.go file or a message under testdata), so the table promises
// nothing no test reads. An example with "…" in it is its parts, each
// written somewhere in the same message or case.
func TestReadmeExamplesAreTested(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	examples := readmeExamples(t, string(readme))
	if len(examples) < 100 {
		t.Fatalf("found %d examples in the README's table: the table or this test has changed", len(examples))
	}
	var inputs strings.Builder
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && (d.Name() == ".git" || d.Name() == "fuzz"):
			return filepath.SkipDir
		case d.IsDir():
			return nil
		case strings.HasSuffix(path, "_test.go") || strings.Contains(filepath.ToSlash(path), "/testdata/") && !strings.HasSuffix(path, ".golden"):
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			inputs.WriteString(asRead(string(b)) + "\n")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tested := inputs.String()
	for _, ex := range examples {
		for _, part := range strings.Split(ex, "…") {
			if part = strings.TrimSpace(asRead(part)); len(part) > 3 && !strings.Contains(tested, part) {
				t.Errorf("the README's example %q is no test's input (%q is in none)", ex, part)
			}
		}
	}
}

// readmeExamples are the quoted words in the first column of the table
// under "## What people can write".
func readmeExamples(t *testing.T, readme string) []string {
	_, section, ok := strings.Cut(readme, "## What people can write")
	if !ok {
		t.Fatal(`README has no "## What people can write"`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var out []string
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| they write") || strings.HasPrefix(line, "| ---") {
			continue
		}
		writes, _, _ := strings.Cut(line[2:], " | ")
		for _, m := range quoted.FindAllStringSubmatch(writes, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

var (
	quoted = regexp.MustCompile(`"([^"]+)"`)
	// spaces are runs of white space, and the line breaks Go strings
	// and quoted-printable write, which a reader does not see.
	spaces = regexp.MustCompile(`(?:\s|\\[nrt]|=\r?\n)+`)
)

// asRead is s as a reader compares words: lower case, straight
// apostrophes, one space for any run of white space.
func asRead(s string) string {
	s = strings.NewReplacer("’", "'", `\"`, `"`, `\'`, "'").Replace(strings.ToLower(s))
	return spaces.ReplaceAllString(s, " ")
}
