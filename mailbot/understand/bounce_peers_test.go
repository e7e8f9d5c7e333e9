package understand

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// sisimaiDir holds sisimai's set-of-emails: 590 real delivery reports and
// complaints from many mail systems, with the result sisimai's own tests
// expect of each (expected.tsv). Its licence is not ours, so it stays
// beside the project.
var sisimaiDir = filepath.Join(peersDir, "sisimai-set-of-emails")

// sisimaiRow is one line of expected.tsv: one recipient of one file.
type sisimaiRow struct {
	file, recipient, status, reason, action string
	hard, delay                             bool
}

func sisimaiExpected(t *testing.T) (map[string][]sisimaiRow, []string) {
	t.Helper()
	f, err := os.Open(filepath.Join(sisimaiDir, "expected.tsv"))
	if err != nil {
		if os.IsNotExist(err) && os.Getenv("CI") == "" {
			t.Skipf("no sisimai corpus at %s (CI is unset)", sisimaiDir)
		}
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string][]sisimaiRow{}
	var files []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 10 {
			t.Fatalf("expected.tsv: %q: want 10 columns", sc.Text())
		}
		if _, ok := rows[c[0]]; !ok {
			files = append(files, c[0])
		}
		rows[c[0]] = append(rows[c[0]], sisimaiRow{file: c[0], recipient: strings.ToLower(c[2]), status: c[3], reason: c[5], action: c[7], hard: c[6] == "true", delay: c[9] == "1"})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows, files
}

// sisimaiMessage is a corpus file as an IMAP server would hand it over:
// some files are kept in mbox form, with the "From " separator line that
// is no part of the message (RFC 4155).
func sisimaiMessage(t *testing.T, file string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(sisimaiDir, "maildir/bsd", file))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:]
		}
	}
	return raw
}

// failedRows are a file's recipients that failed: not complaints, not
// successes or auto-replies, not delay warnings, and not a recipient
// still being tried ("delayed") in a report that names others as failed.
func failedRows(rows []sisimaiRow) []sisimaiRow {
	someFailed := slices.ContainsFunc(rows, func(r sisimaiRow) bool { return r.action == "failed" })
	var out []sisimaiRow
	for _, r := range rows {
		if r.reason != "feedback" && r.reason != "delivered" && r.reason != "vacation" && !r.delay && !(someFailed && r.action == "delayed") {
			out = append(out, r)
		}
	}
	return out
}

// family is the reporting system a corpus file is from: lhost-postfix-01.eml
// is "postfix".
var familyRE = regexp.MustCompile(`^(?:lhost-|rhost-)?(.*?)-[0-9]+\.eml$`)

func family(file string) string {
	if m := familyRE.FindStringSubmatch(file); m != nil {
		return m[1]
	}
	return file
}

type peerScore struct {
	files, recognised     int // reports with a failure; those read as one
	rcpts, rcptRight      int // failed recipients in the reports read; those named
	hardSame, reasonSame  int // of those named: hard/soft as sisimai decides; the very reason
	sender, senderCounted int // named with a sender-side reason by sisimai; of those, counted against the recipient
	senderSuppressed      int // named with a sender-side reason by sisimai, and suppressed at once
}

// TestPeerBounces reads every report in sisimai's corpus and scores what
// the bot would do against what sisimai says: that a failure is
// recognised, for the right recipient, and hard (suppress now) exactly
// where sisimai says the address is gone.
func TestPeerBounces(t *testing.T) {
	t.Parallel()
	rows, files := sisimaiExpected(t)
	byFamily := map[string]*peerScore{}
	var all peerScore
	for _, file := range files {
		want := failedRows(rows[file])
		raw := sisimaiMessage(t, file)
		r, ok := ReadBounce(raw)
		checkReport(t, r, ok)
		if len(want) == 0 {
			// A delay warning, a success notice, an auto-reply or a
			// complaint: nobody failed, and nobody may be counted.
			if ok {
				t.Errorf("%s: no failure in it (sisimai: %s), read as %v", file, rows[file][0].reason, r.Bounces)
			}
			continue
		}
		fs := byFamily[family(file)]
		if fs == nil {
			fs = &peerScore{}
			byFamily[family(file)] = fs
		}
		for _, s := range []*peerScore{fs, &all} {
			s.files++
			if ok {
				s.recognised++
			}
		}
		if !ok {
			t.Logf("%s: not recognised (sisimai: %s %s)", file, want[0].status, want[0].reason)
			continue
		}
		for _, w := range want {
			i := slices.IndexFunc(r.Bounces, func(b Bounce) bool { return b.Recipient == w.recipient })
			if i >= 0 || sisimaiMisnamed[file] == "" || wholeAddress(raw, w.recipient) {
				for _, s := range []*peerScore{fs, &all} {
					s.rcpts++
				}
			}
			if i < 0 && sisimaiMisnamed[file] != "" && !wholeAddress(raw, w.recipient) {
				// sisimai names an address the report does not hold.
				t.Logf("%s: %s not named: %s", file, w.recipient, sisimaiMisnamed[file])
				continue
			}
			if i < 0 {
				t.Logf("%s: %s not named (read %v)", file, w.recipient, r.Bounces)
				continue
			}
			b := r.Bounces[i]
			if b.Hard != w.hard || string(b.Reason) != w.reason {
				t.Logf("%s: %s read as %s hard=%v, sisimai %s %s hard=%v: %q", file, w.recipient, b.Reason, b.Hard, w.status, w.reason, w.hard, b.Diagnostic)
			}
			for _, s := range []*peerScore{fs, &all} {
				s.rcptRight++
				if b.Hard == w.hard {
					s.hardSame++
				}
				if string(b.Reason) == w.reason {
					s.reasonSame++
				}
				if senderSide(w.reason) {
					s.sender++
					if b.Reason.Fault() == FaultSender && senderSideUnread[file] != "" && s == &all {
						t.Errorf("%s: read as %s, the sender's: take it out of senderSideUnread", file, b.Reason)
					}
					if b.Reason.Fault() != FaultSender {
						s.senderCounted++
						if s == &all && senderSideUnread[file] == "" {
							t.Errorf("%s: %s read as %s, which counts against them; sisimai: %s, a reason of the sender's", file, w.recipient, b.Reason, w.reason)
						}
					}
					if b.Hard {
						s.senderSuppressed++
					}
				}
			}
		}
	}
	fams := slices.Sorted(func(yield func(string) bool) {
		for k := range byFamily {
			if !yield(k) {
				return
			}
		}
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s %10s %10s %10s %10s %10s %s\n", "reporting system", "recognised", "recipient", "hard/soft", "reason", "sender-side", "suppressed")
	for _, k := range append(fams, "ALL") {
		s := byFamily[k]
		if k == "ALL" {
			s = &all
		}
		fmt.Fprintf(&b, "%-16s %5d/%-4d %5d/%-4d %5d/%-4d %5d/%-4d %5d/%-4d %d\n", k, s.recognised, s.files, s.rcptRight, s.rcpts,
			s.hardSame, s.rcptRight, s.reasonSame, s.rcptRight, s.sender-s.senderCounted, s.sender, s.senderSuppressed)
	}
	t.Logf("sisimai corpus, by reporting system (sender-side: of the recipients sisimai gives a sender-side reason, those never counted against them):\n%s", b.String())

	// The targets of issue 18, and floors at the scores reached where a
	// target is not (yet) met; raise the floors with every report read
	// better. None may fall.
	floor := func(what string, got, of, want int) {
		if got < want {
			t.Errorf("%s: %d of %d, below the floor of %d", what, got, of, want)
		}
	}
	floor("failures recognised (target 95%)", all.recognised, all.files, max(percentOf(95, all.files), bounceFloors.recognised))
	floor("failed recipients named (target all)", all.rcptRight, all.rcpts, all.rcpts)
	floor("hard/soft as sisimai decides (target 95%)", all.hardSame, all.rcptRight, max(percentOf(95, all.rcptRight), bounceFloors.hardSame))
	floor("reason as sisimai's", all.reasonSame, all.rcptRight, bounceFloors.reasonSame)
	if all.senderSuppressed > 0 {
		t.Errorf("%d recipients suppressed at once for a failure sisimai puts down to the sender", all.senderSuppressed)
	}
}

// percentOf is p% of n, rounded up: the least count that makes the share.
func percentOf(p, n int) int {
	return (p*n + 99) / 100
}

// bounceFloors are the corpus scores TestPeerBounces must keep, reached
// above issue 18's targets for failures recognised and hard/soft; the
// very reason has no target.
var bounceFloors = struct{ recognised, hardSame, reasonSame int }{540, 554, 494}

// sisimaiMisnamed are corpus reports for which expected.tsv names a
// failed recipient that is nowhere in the report, with what the report
// says instead. Each is checked: were sisimai's address in the file, the
// recipient would count as not named.
var sisimaiMisnamed = map[string]string{
	"lhost-apachejames-01.eml": "the report says RCPT TO: 000000000000@vtext.example.com, twelve 0s; sisimai writes eleven",
}

// wholeAddress says whether addr is in raw as a whole address, not as the
// end or start of a longer one.
func wholeAddress(raw []byte, addr string) bool {
	re := regexp.MustCompile(`(?i)(?:^|[^a-z0-9._%+-])` + regexp.QuoteMeta(addr) + `(?:$|[^a-z0-9.-]|\.[^a-z0-9-])`)
	return re.Match(raw)
}

// senderSideUnread are the corpus reports sisimai gives a reason of the
// sender's that are read here as the recipient's, temporary, for their
// words do not say the fault is ours; each counts as soft. Every other report
// with such a reason must be read as the sender's, never counting
// against the recipient.
var senderSideUnread = map[string]string{
	"lhost-exim-49.eml":      `"550 Rejected": no word of why`,
	"lhost-sendmail-21.eml":  `"Connection refused by mx…" and a queue that gave up (4.4.7): a server that is down as much as one that blocks us; read as expired`,
	"rhost-nttdocomo-02.eml": `"550 Unknown user" after the data: docomo's old refusal of senders the person had not allowed, which it no longer gives over SMTP since March 2025 (sisimai's own note); read as filtered`,
	"rhost-nttdocomo-03.eml": `"550 Unknown user", as nttdocomo-02`,
}

// senderSide are sisimai's reasons that speak of the sender: its set-up,
// its reputation, its content, its rate.
func senderSide(reason string) bool {
	switch reason {
	case "authfailure", "badreputation", "blocked", "spamdetected", "policyviolation", "securityerror",
		"requireptr", "rejected", "norelaying", "toomanyconn", "speeding", "ratelimited", "contenterror",
		"virusdetected", "notcompliantrfc", "syntaxerror", "mesgtoobig", "failedstarttls":
		return true
	}
	return false
}

// TestPeerComplaints: every abuse feedback report in sisimai's corpus is
// read as one, never as a bounce, with the complainant sisimai names
// wherever the report does not hide them.
func TestPeerComplaints(t *testing.T) {
	t.Parallel()
	rows, files := sisimaiExpected(t)
	var reports, read, named, rcpts int
	for _, file := range files {
		if !strings.HasPrefix(file, "arf-") {
			continue
		}
		raw := sisimaiMessage(t, file)
		if r, ok := ReadBounce(raw); ok {
			t.Errorf("%s: a feedback report read as a bounce: %+v", file, r)
		}
		c, ok := ReadComplaint(raw)
		if !bytes.Contains(raw, []byte("message/feedback-report")) {
			// sisimai counts an "unsubscribe" email to an opt-out
			// address as feedback; here it is a message to our
			// List-Unsubscribe address, read as such.
			if ok {
				t.Errorf("%s: no feedback-report part, read as a complaint", file)
			}
			continue
		}
		reports++
		if !ok {
			t.Logf("%s: feedback report not read", file)
			continue
		}
		read++
		for _, w := range rows[file] {
			if strings.Contains(w.recipient, "redacted") || strings.Contains(w.recipient, "undisclosed") || strings.HasPrefix(w.recipient, "hashed@") {
				continue
			}
			rcpts++
			if slices.Contains(c.Recipients, w.recipient) {
				named++
			} else {
				t.Logf("%s: %s not named (read %v)", file, w.recipient, c.Recipients)
			}
		}
	}
	t.Logf("sisimai corpus: %d of %d feedback reports read; %d of %d complainants named", read, reports, named, rcpts)
	if read != reports || named < complaintFloor {
		t.Errorf("feedback reports read %d of %d (want all); complainants named %d of %d, floor %d", read, reports, named, rcpts, complaintFloor)
	}
}

// complaintFloor is how many of the corpus's named complainants
// TestPeerComplaints must name.
const complaintFloor = 15

// TestPeerAutomatic: every message in sisimai's corpus was written by a
// machine, and must be flagged so: the bot reads reports only from mail
// it knows no person wrote, and never answers one.
func TestPeerAutomatic(t *testing.T) {
	t.Parallel()
	_, files := sisimaiExpected(t)
	flagged := map[string][2]int{}
	for _, file := range files {
		raw := sisimaiMessage(t, file)
		if personForwarded[file] {
			continue
		}
		m, _ := Parse(raw)
		f := flagged[family(file)]
		f[1]++
		if m.Automatic != "" {
			f[0]++
		} else {
			t.Logf("%s: not flagged automatic (From %q, Subject %q)", file, m.From, m.Subject)
		}
		flagged[family(file)] = f
	}
	total := [2]int{}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(flagged)) {
		f := flagged[k]
		total[0] += f[0]
		total[1] += f[1]
		if f[0] < f[1] {
			fmt.Fprintf(&b, "%s %d/%d  ", k, f[0], f[1])
		}
	}
	t.Logf("sisimai corpus: %d of %d flagged automatic; short: %s", total[0], total[1], b.String())
	if total[0] < total[1] {
		t.Errorf("%d of %d flagged automatic, want all", total[0], total[1])
	}
}

// personForwarded are corpus files a person wrote: a bounce they
// forwarded ("Fwd: Returned mail"), which is theirs to have answered.
var personForwarded = map[string]bool{"lhost-sendmail-14.eml": true}
