package templates

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// samples gives every message kind the data its golden files show. A new
// template without a sample fails TestGolden.
var samples = map[string]any{
	"help":      Help{Name: "Mary Jones"},
	"too-large": TooLarge{Name: "", Size: "12 MB", Limit: "5 MB"},
}

func TestGolden(t *testing.T) {
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range set.Names() {
		t.Run(name, func(t *testing.T) {
			data, ok := samples[name]
			if !ok {
				t.Fatalf("no sample data for template %s", name)
			}
			r, err := set.Render(name, "Better Days", data)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".txt.golden", r.Text)
			golden(t, name+".html.golden", r.HTML)
			for _, line := range strings.Split(r.Text, "\n") {
				if n := len([]rune(line)); n > 78 {
					t.Errorf("text line of %d characters (over 78): %q", n, line)
				}
			}
		})
	}
}

func golden(t *testing.T, file, got string) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file; got:\n%s", file, got)
	}
}

// TestHTMLEscapes checks that what a stranger wrote (their name here) is
// escaped in the HTML part.
func TestHTMLEscapes(t *testing.T) {
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	r, err := set.Render("help", "<b>t</b>", Help{Name: `<script>alert(1)</script>`})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<script>") || strings.Contains(r.HTML, "<b>t</b>") {
		t.Errorf("HTML part carries unescaped input:\n%s", r.HTML)
	}
}

func TestMissingFieldIsAnError(t *testing.T) {
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := set.Render("too-large", "t", map[string]string{"Name": "x"}); err == nil {
		t.Error("rendering with a missing field succeeded")
	}
}
