package understand

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Other projects' test emails, real replies and forwards from many mail
// clients, are kept beside the project, not in it (their licences differ):
// ../shared/peers/fixtures, each folder with its licence and a cases.json
// restating what that project's own tests expect. CI has them; a checkout
// without them skips these tests, and CI fails instead.
const peersDir = "../../../shared/peers/fixtures"

func peerSuite(t *testing.T, folder string, cases any) string {
	t.Helper()
	dir := filepath.Join(peersDir, folder)
	raw, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		if os.IsNotExist(err) && os.Getenv("CI") == "" {
			t.Skipf("no peer fixtures at %s (CI is unset)", dir)
		}
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, cases); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return dir
}

func readPeerFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type peerReply struct {
	Name      string   `json:"name"`
	File      string   `json:"file"`
	Text      string   `json:"text"`
	Kind      string   `json:"kind"` // text, eml, html
	Want      *string  `json:"want"`
	WantLines [][2]int `json:"want_lines"` // 1-based, inclusive
	Whole     bool     `json:"whole"`      // nothing in it is history
}

// input is the message's text as the bot would see it, and what the
// peer's tests say the person wrote; ok is false when the peer asserts
// only fragments, which say nothing of the whole reading.
func (c peerReply) input(t *testing.T, dir string) (fresh, want string, ok bool) {
	text := c.Text
	if c.File != "" {
		text = readPeerFile(t, dir, c.File)
	}
	switch c.Kind {
	case "eml":
		m, _ := Parse([]byte(text))
		fresh = m.Fresh
	case "html":
		fresh = Fresh(HTMLToText(text))
	default:
		fresh = Fresh(text)
	}
	switch {
	case c.Want != nil:
		return fresh, *c.Want, true
	case c.WantLines != nil:
		lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
		var kept []string
		for _, r := range c.WantLines {
			kept = append(kept, lines[r[0]-1:min(r[1], len(lines))]...)
		}
		return fresh, strings.Join(kept, "\n"), true
	case c.Whole:
		return fresh, text, true
	}
	return "", "", false
}

// requestOf is the reading the bot acts on, in a form to compare and show:
// everything in a Request but where in the text each thing was written.
func requestOf(text string, c Context) string {
	r := Read(text, c)
	var b strings.Builder
	fmt.Fprintf(&b, "%s", r.Action)
	for _, ps := range [][]Pattern{r.Targets, r.From} {
		b.WriteString(" [")
		for _, p := range ps {
			p.at, p.end = 0, 0
			fmt.Fprintf(&b, "%+v;", p)
		}
		b.WriteString("]")
	}
	fmt.Fprintf(&b, " places=%d phone=%q needs=%q prefs=%+v sub=%v unsub=%v", r.Places, r.Phone, r.Needs, r.Prefs, r.Subscribe, r.Unsubscribe)
	return b.String()
}

// forwardKept are the peers' replies that are forwards, which the peer
// expects kept whole as the person's words.
var forwardKept = map[string]string{
	"talon/text_quotations_test.py:test_dont_parse_quotations_for_forwarded_messages": "talon leaves forwards alone",
}

// TestPeerReplies: on every reply in the peers' suites, what the bot reads
// from the person's words (Fresh) is what it would read from the words the
// peer's own tests say the person wrote. Signatures and sign-offs the peer
// keeps and Fresh drops are fine, as long as the request is the same.
func TestPeerReplies(t *testing.T) {
	_, c := corpusTimetable(t)
	// The floor is the score reached; raise it with every fixture fixed.
	floors := map[string]int{"github-email_reply_parser": 22, "crisp-email-reply-parser": 61, "talon": 86}
	total, passed := 0, 0
	for _, folder := range slices.Sorted(maps.Keys(floors)) {
		var suite struct{ Cases []peerReply }
		dir := peerSuite(t, folder, &suite)
		n, ok := 0, 0
		for _, pc := range suite.Cases {
			fresh, want, found := pc.input(t, dir)
			if !found {
				continue
			}
			n++
			if why, kept := forwardKept[folder+"/"+pc.Name]; kept {
				// The peer keeps a forward whole; the bot reads the note
				// as the sender's words and the forward apart, so that
				// is what must hold.
				if fw := inlineForward(want, "", ""); fw != nil && fw.Note == fresh {
					ok++
				} else {
					t.Logf("%s/%s (%s): fresh %q, forward %+v", folder, pc.Name, why, fresh, fw)
				}
				continue
			}
			got, exp := requestOf(fresh, c), requestOf(want, c)
			if got == exp {
				ok++
				continue
			}
			t.Logf("%s/%s:\n fresh %q\n  read %s\n  want %q\n  read %s", folder, pc.Name, fresh, got, want, exp)
		}
		t.Logf("%s: %d of %d read as the peer's text", folder, ok, n)
		if ok < floors[folder] {
			t.Errorf("%s: %d of %d replies read as the peer's text, below the floor of %d", folder, ok, n, floors[folder])
		}
		total, passed = total+n, passed+ok
	}
	t.Logf("all reply fixtures: %d of %d", passed, total)
}

type peerForward struct {
	Group       string  `json:"group"`
	Name        string  `json:"name"`
	Body        string  `json:"body"`
	SubjectFile *string `json:"subject_file"`
	Forwarded   bool    `json:"forwarded"`
	FromAddr    string  `json:"from_addr"`
	FromName    string  `json:"from_name"`
	BodyWant    *string `json:"body_want"`
	BodyStarts  *string `json:"body_starts"` // when set, all the peer asserts of the text
	NoteWant    *string `json:"note_want"`
}

// english says whether a fixture is one an English-speaking client wrote:
// the peer names each by client and locale ("gmail_en_body", with the
// subject from "outlook_live_en_subject").
func (c peerForward) english() bool {
	return strings.Contains(c.Name, "_en_") || strings.HasSuffix(c.Name, "_en")
}

// sameWords compares text as a reader does, line breaks and runs of
// spaces aside.
func sameWords(a, b string) bool {
	return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
}

// check says what is wrong with the forward found in text, or "".
func (c peerForward) check(fw *Forward) string {
	switch {
	case !c.Forwarded && fw != nil:
		return fmt.Sprintf("a forward found in a message that is none: %+v", fw)
	case !c.Forwarded:
		return ""
	case fw == nil:
		return "no forward found"
	case fw.From != strings.ToLower(c.FromAddr) || (c.FromName != "" && fw.FromName != c.FromName):
		return fmt.Sprintf("sender %q <%s>, want %q <%s>", fw.FromName, fw.From, c.FromName, c.FromAddr)
	case c.BodyStarts == nil && c.BodyWant != nil && !sameWords(fw.Text, *c.BodyWant):
		return fmt.Sprintf("text %q, want %q", fw.Text, *c.BodyWant)
	case c.BodyStarts != nil && !strings.HasPrefix(strings.Join(strings.Fields(fw.Text), " "), strings.Join(strings.Fields(*c.BodyStarts), " ")):
		return fmt.Sprintf("text %q, want it to start %q", fw.Text, *c.BodyStarts)
	case c.NoteWant != nil && !sameWords(fw.Note, *c.NoteWant):
		return fmt.Sprintf("note %q, want %q", fw.Note, *c.NoteWant)
	}
	return ""
}

// TestPeerForwards: every forward in crisp-oss/email-forward-parser's suite
// (every common client in some twenty languages, and messages that only
// look like forwards) is found, or not, as its tests expect, with the
// original sender and what they wrote.
func TestPeerForwards(t *testing.T) {
	var suite struct{ Cases []peerForward }
	dir := peerSuite(t, "crisp-email-forward-parser", &suite)
	// The floors are the scores reached; raise them with every fixture fixed.
	const floorAll, floorEnglish = 200, 67
	all, allOK, en, enOK := 0, 0, 0, 0
	for _, pc := range suite.Cases {
		subject := ""
		if pc.SubjectFile != nil {
			subject = strings.TrimSpace(readPeerFile(t, dir, *pc.SubjectFile))
		}
		text := normaliseText(readPeerFile(t, dir, pc.Body))
		problem := pc.check(inlineForward(text, subject, ""))
		all++
		if pc.english() {
			en++
		}
		if problem != "" {
			t.Logf("%s: %s", pc.Name, problem)
			continue
		}
		allOK++
		if pc.english() {
			enOK++
		}
	}
	t.Logf("crisp-email-forward-parser: %d of %d forwards read as expected; in English, %d of %d", allOK, all, enOK, en)
	if allOK < floorAll || enOK < floorEnglish {
		t.Errorf("%d of %d forwards (%d of %d in English), below the floors of %d (%d)", allOK, all, enOK, en, floorAll, floorEnglish)
	}
}
