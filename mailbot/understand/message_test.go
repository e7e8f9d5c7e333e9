package understand

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite golden files")

// summary is what a golden file holds for one message: every field the bot
// acts on, in a form a reviewer can read.
func summary(m *Message, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "key: %s\nmessage-id: %s\nfrom: %s\nfrom-name: %s\nsubject: %q\n", m.Key, m.MessageID, m.From, m.FromName, m.Subject)
	fmt.Fprintf(&b, "in-reply-to: %v\nreferences: %v\nautomatic: %s\n", m.InReplyTo, m.References, m.Automatic)
	if err != nil {
		fmt.Fprintf(&b, "problems: %v\n", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	fmt.Fprintf(&b, "--- text ---\n%s\n", m.Text)
	fmt.Fprintf(&b, "--- fresh ---\n%s\n", m.Fresh)
	if f := m.Forwarded; f != nil {
		date := ""
		if !f.Date.IsZero() {
			date = f.Date.Format(time.RFC3339)
		}
		fmt.Fprintf(&b, "--- forwarded ---\nfrom: %s\nfrom-name: %s\nsubject: %q\nmessage-id: %s\ndate: %s\n", f.From, f.FromName, f.Subject, f.MessageID, date)
		fmt.Fprintf(&b, "--- forwarded note ---\n%s\n--- forwarded text ---\n%s\n", f.Note, f.Text)
	}
	return b.String()
}

// corpusBot is the address the corpus writes to; corpusStaff the domain
// its staff write from. Whether a staff message is authenticated is the
// bot's question, not this package's: here every one counts as staff.
const (
	corpusBot   = "betterdays@localhost"
	corpusStaff = "@council.example"
)

// corpusLists are the numbered lists the corpus's people reply to, by
// Message-ID, and how many items each had: the August newsletter's two.
var corpusLists = map[string]int{"news-2027-08@betterdays.localhost": 2}

// reading is what the bot would make of m, as the bot reads it: the
// request, read against the corpus timetable, for the person it acts for,
// and whether a person should see it too.
func reading(m *Message, items []Item, c Context) string {
	var b strings.Builder
	b.WriteString("--- request ---\n")
	if m.Automatic != "" {
		b.WriteString("not read: automatic\n")
		return b.String()
	}
	c.Subject, c.IsStaff = m.Subject, strings.HasSuffix(m.From, corpusStaff)
	for _, id := range append(m.InReplyTo, m.References...) {
		c.Offered = max(c.Offered, corpusLists[id])
	}
	text := m.Fresh
	if strings.TrimSpace(text) == "" {
		text = m.Text // all quote: the bot reads it rather than nothing
	}
	var r Request
	var h Handoff
	// As the bot does, never on behalf of the sender, the bot or staff: a
	// forward between colleagues is not a request from the public.
	behalf, ok := m.OnBehalf(func(a string) bool { return a == m.From || a == corpusBot || strings.HasSuffix(a, corpusStaff) })
	switch {
	case ok && c.IsStaff:
		// Staff have read what they forward: only its words of risk
		// are flagged, as the bot does.
		r, h = ReadFor(behalf, c), Handoff{Urgent: Urgent(behalf.Text)}
		fmt.Fprintf(&b, "acting: %s", behalf.Addr)
		if behalf.Name != "" {
			fmt.Fprintf(&b, " (%s)", behalf.Name)
		}
		b.WriteString("\n")
	case c.IsStaff && (m.Forwarded != nil || Read(text, c).SomeoneElse):
		b.WriteString("acting: nobody (a staff forward of a colleague's message or of one whose sender can't be read, or someone named without an address)\n")
	case ok:
		read := Read(text, c)
		r, h = read.Request, read.Handoff
		fmt.Fprintf(&b, "acting: sender (names %s, but only staff act for others)\n", behalf.Addr)
	default:
		read := Read(text, c)
		r, h = read.Request, read.Handoff
		b.WriteString("acting: sender\n")
	}
	fmt.Fprintf(&b, "action: %s\n", r.Action)
	for _, t := range describeTargets(r.Targets, items, c.TZ) {
		fmt.Fprintf(&b, "target: %s\n", t)
	}
	for _, t := range describeTargets(r.From, items, c.TZ) {
		fmt.Fprintf(&b, "from: %s\n", t)
	}
	if r.Places != 0 {
		fmt.Fprintf(&b, "places: %d\n", r.Places)
	}
	if r.Phone != "" {
		fmt.Fprintf(&b, "phone: %s\n", r.Phone)
	}
	for _, n := range r.Needs {
		fmt.Fprintf(&b, "need: %q\n", n)
	}
	if r.Prefs.Any() {
		fmt.Fprintf(&b, "prefs: %+v\n", r.Prefs)
	}
	if r.Subscribe {
		b.WriteString("subscribe\n")
	}
	if r.Unsubscribe {
		b.WriteString("unsubscribe\n")
	}
	b.WriteString("--- handoff ---\n")
	if !h.Needed() {
		b.WriteString("none\n")
	}
	if len(h.Urgent) > 0 {
		fmt.Fprintf(&b, "urgent: %q\n", h.Urgent)
	}
	if h.Why != NoReason {
		fmt.Fprintf(&b, "why: %s\n", h.Why)
	}
	return b.String()
}

// TestParseCorpus reads each message of the corpus as the bot would and
// checks every step, from the header to the request, against its golden
// file.
func TestParseCorpus(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/messages/*.eml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	items, c := corpusTimetable(t)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".eml")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(raw)
			checkGolden(t, filepath.Join("testdata/messages", name+".golden"), "Parse("+name+")", summary(m, err)+reading(m, items, c))
		})
	}
}

// checkGolden compares got with the golden file, or rewrites the file
// under -update.
func checkGolden(t *testing.T, golden, what, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("%s =\n%s\nwant\n%s", what, got, want)
	}
}

func TestKeyWithoutMessageIDIsStable(t *testing.T) {
	t.Parallel()
	raw := []byte("From: a@example.org\r\n\r\nhi\r\n")
	a, _ := Parse(raw)
	b, _ := Parse(append([]byte(nil), raw...))
	c, _ := Parse([]byte("From: a@example.org\r\n\r\nhi there\r\n"))
	if a.Key != b.Key || a.Key == c.Key || !strings.HasPrefix(a.Key, "sha256:") {
		t.Errorf("keys = %q %q %q: want the same bytes to give the same key, and other bytes another", a.Key, b.Key, c.Key)
	}
}

func TestAutomatic(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		header string
		auto   bool
	}{
		{"Auto-Submitted: no", false},
		{"Auto-Submitted: auto-replied", true},
		{"Auto-Submitted: auto-generated", true},
		{"Precedence: bulk", true},
		{"Precedence: junk", true},
		{"Precedence: list", true},
		{"Precedence: first-class", false},
		{"List-Id: <x.example.org>", true},
		{"List-Unsubscribe: <mailto:x@example.org>", true},
		{"Return-Path: <>", true},
		{"Return-Path: <a@example.org>", false},
		{"X-Autoreply: yes", true},
		{"X-MS-Exchange-Inbox-Rules-Loop: a@example.org", true},
		{"Feedback-ID: 1:2:3", true},
		{"Subject: Automatic reply: hello", true},
		{"Subject: Out of Office: hello", true},
		{"Subject: automatic booking please", false},
		{"Content-Type: multipart/report; report-type=delivery-status; boundary=x", true},
	} {
		m, _ := Parse([]byte("From: a@example.org\r\n" + tc.header + "\r\n\r\nhi\r\n"))
		if got := m.Automatic != ""; got != tc.auto {
			t.Errorf("%s: Automatic = %q, want automatic=%v", tc.header, m.Automatic, tc.auto)
		}
	}
	m, _ := Parse([]byte("From: MAILER-DAEMON@example.org\r\n\r\nhi\r\n"))
	if m.Automatic == "" {
		t.Error("MAILER-DAEMON sender not seen as automatic")
	}
}

func TestDeepNestingIsBounded(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n")
	const depth = 500
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i, i+1)
	}
	b.WriteString("--b500\r\nContent-Type: text/plain\r\n\r\ndeep\r\n")
	m, err := Parse([]byte(b.String()))
	if err == nil || m.From != "a@example.org" {
		t.Errorf("Parse(nested %d deep) = from %q, err %v; want the sender read and a problem reported", depth, m.From, err)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/messages/*.eml")
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, _ := Parse(raw)
		if m == nil {
			t.Fatal("Parse returned nil")
		}
		if len(m.Text) > 4*maxTextBytes {
			t.Fatalf("text of %d bytes from a %d-byte message", len(m.Text), len(raw))
		}
		if strings.ContainsAny(m.Subject+m.FromName, "\r\n") {
			t.Fatalf("control characters survive in subject %q or name %q", m.Subject, m.FromName)
		}
	})
}

func FuzzHTMLToText(f *testing.F) {
	f.Add("<p>a<br>b</p><ul><li>c</li></ul><script>x</script>&amp;")
	f.Add("<style><style></style>")
	// The text is plain text, never rendered as HTML, so a literal "<script"
	// in it is harmless ("0000000000<<A>script" rightly gives one). What
	// must never come through is what a script or style element holds;
	// around markup of the fuzzer's own ("<A" swallows the next tag, as in
	// a browser) there is no telling what is an element, so that is checked
	// around plain text only.
	f.Fuzz(func(t *testing.T, s string) {
		for _, el := range []string{"script", "style"} {
			if strings.ContainsAny(s, "<&") {
				break
			}
			out := HTMLToText(s + "<" + el + ">HIDDENWORD " + s + "</" + el + ">")
			if strings.Contains(out, "HIDDENWORD") {
				t.Fatalf("%s content survived: %q", el, out)
			}
		}
		if out := HTMLToText(s); !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out: %q", out)
		}
	})
}

// A From whose name breaks the grammar is read as mail clients show it,
// but only when one address in angle brackets says whose it is.
func TestFromOutsideTheGrammar(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ from, addr, name string }{
		{"Manager, Oakfield Day Centre <Manager@Oakfield.example.org>", "manager@oakfield.example.org", "Manager, Oakfield Day Centre"},
		{`"Jones, Mary" <mary@example.org>`, "mary@example.org", "Jones, Mary"},
		{"Manager, Oakfield <a@example.org> <b@example.org>", "", ""},
		{"Manager, Oakfield a@example.org", "", ""},
		{"Manager, <a@example.org> trailing", "", ""},
	} {
		m, err := Parse([]byte("From: " + tc.from + "\r\n\r\nhi\r\n"))
		if m.From != tc.addr || m.FromName != tc.name {
			t.Errorf("From: %s read as %q %q (%v), want %q %q", tc.from, m.From, m.FromName, err, tc.addr, tc.name)
		}
	}
}
