package mailbot

import (
	"archive/zip"
	"bytes"
	"cmp"
	"compress/flate"
	"context"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/emersion/go-message/mail"
	"golang.org/x/net/html"
)

// The tests here send the bot what an attacker, a broken mailer or a
// confused person might: each through the real path (Handle on a real
// SQLite file, the reply sent over real SMTP and read back with
// go-message), and each must end in a clear log line, the person answered
// or ignored as they should be, nothing crashed, nothing injected into
// what we send, and bounded time and memory.

// hostileCase is one crafted message and what must come of it.
type hostileCase struct {
	name string
	raw  string
	// answer is who gets a reply: "" for nobody.
	answer string
	// outcome is how the recorded outcome starts.
	outcome string
	// log is in the log lines the message caused.
	log string
	// check looks further at the reply, when there is one.
	check func(t *testing.T, d *rig, r *sent)
	// maxAlloc, when set, bounds the bytes allocated tighter than
	// hostileAlloc.
	maxAlloc uint64
}

// Limits for one hostile message. They are generous (the race detector
// slows everything several times) yet far below what an unbounded parse
// of these messages would take.
const (
	hostileTime  = 10 * time.Second
	hostileAlloc = 128 << 20 // bytes allocated handling one message: the worst here takes 11 MB, 36 MB under -race
	// A reply's header stays small whatever we were sent: a few lines of
	// our own, the person's name, a subject and a bounded References.
	maxReplyHeader = 8 << 10
	maxReplyBytes  = 256 << 10
)

// hostileMsg is a message with the given header lines and body.
func hostileMsg(id string, header []string, body string) string {
	var b strings.Builder
	for _, h := range header {
		b.WriteString(h + "\r\n")
	}
	fmt.Fprintf(&b, "Message-ID: <%s>\r\nDate: Tue, 15 Jun 2027 09:00:00 +0100\r\n", id)
	if !slices.ContainsFunc(header, func(h string) bool { return strings.HasPrefix(h, "To:") }) {
		b.WriteString("To: " + botAddress + "\r\n")
	}
	b.WriteString("\r\n" + body)
	return b.String()
}

// runHostile hands the bot one case on a fresh database and checks the
// rules every case shares.
func runHostile(t *testing.T, tc hostileCase) {
	t.Helper()
	d := newDesk(t, nil)
	var logs lockedBuffer
	d.logTo(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	m0 := len(d.rec.Accepted())

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	d.deliver(tc.raw)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	t.Logf("handled in %v, allocating %d KB", took.Round(time.Millisecond), (after.TotalAlloc-before.TotalAlloc)>>10)
	if took > hostileTime {
		t.Errorf("handling took %v, want under %v", took, hostileTime)
	}
	limit := cmp.Or(tc.maxAlloc, hostileAlloc)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > limit {
		t.Errorf("handling allocated %d MB, want under %d MB", alloc>>20, limit>>20)
	}

	m, _ := understand.Parse([]byte(tc.raw))
	got, err := d.st.InboundOutcome(context.Background(), m.Key)
	if err != nil || !strings.HasPrefix(got, tc.outcome) {
		t.Errorf("outcome %q, %v; want %q…", got, err, tc.outcome)
	}
	if !strings.Contains(logs.String(), tc.log) {
		t.Errorf("no log line with %q; log:\n%s", tc.log, logs.String())
	}

	var replies []*sent
	if tc.answer != "" {
		replies = d.mail(tc.answer)
	} else {
		d.mail("")
	}
	for rcpt, ms := range d.inbox {
		if len(ms) > 0 {
			t.Errorf("%s got %d messages: only %q should hear from us", rcpt, len(ms), tc.answer)
		}
	}
	acc := d.rec.Accepted()[m0:]
	want := 0
	if tc.answer != "" {
		want = 1
	}
	if len(acc) != want || len(replies) != want {
		t.Fatalf("sent %d messages (%d to %q), want %d to %q; log:\n%s", len(acc), len(replies), tc.answer, want, tc.answer, logs.String())
	}
	for _, m := range acc {
		if !slices.Equal(m.To, []string{tc.answer}) {
			t.Errorf("envelope recipients %q, want only %q", m.To, tc.answer)
		}
		checkNoInjection(t, m.Data, tc.answer)
	}
	if want == 1 {
		checkHTMLSafe(t, replies[0].HTML)
		if tc.check != nil {
			tc.check(t, d, replies[0])
		}
	}

	// The bot still works, and its database is whole.
	d.send("zed@example.org", "help", "help")
	d.one("zed@example.org")
	if err := d.st.IntegrityCheck(context.Background()); err != nil {
		t.Errorf("database after the message: %v", err)
	}
}

// replyFields are the only header fields a reply may have: anything else
// was put there by someone else.
var replyFields = []string{
	"Auto-Submitted", "Content-Transfer-Encoding", "Content-Type", "Date", "From", "In-Reply-To",
	"Message-Id", "Mime-Version", "References", "Reply-To", "Subject", "To", "X-Auto-Response-Suppress",
}

// checkNoInjection reads a reply as a mail client would and fails the
// test if anything in its header came from outside our template: an extra
// field, a second recipient, a line break in a value. stamped are the
// fields the delivering server adds.
func checkNoInjection(t *testing.T, raw []byte, to string, stamped ...string) {
	t.Helper()
	if len(raw) > maxReplyBytes {
		t.Errorf("reply is %d bytes, want under %d", len(raw), maxReplyBytes)
	}
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 || end > maxReplyHeader {
		t.Errorf("reply header is %d bytes, want under %d", end, maxReplyHeader)
	}
	for _, l := range strings.Split(string(raw[:max(end, 0)]), "\r\n") {
		if len(l) > 998 { // RFC 5322 section 2.1.1
			t.Errorf("reply header line of %d characters: %.80q…", len(l), l)
		}
	}
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("reply does not parse: %v", err)
	}
	fields := mr.Header.Fields()
	for fields.Next() {
		if !slices.Contains(replyFields, fields.Key()) && !slices.Contains(stamped, fields.Key()) {
			t.Errorf("reply has a header field %q: %q", fields.Key(), fields.Value())
		}
		if v, _ := fields.Text(); strings.ContainsAny(v, "\r\n\x00") {
			t.Errorf("reply's %s holds a control character once decoded: %q", fields.Key(), v)
		}
	}
	addrs, err := mr.Header.AddressList("To")
	if err != nil || len(addrs) != 1 || addrs[0].Address != to {
		t.Errorf("reply To %v (%v), want only %s", addrs, err, to)
	}
	for _, k := range []string{"From", "Subject", "To", "Message-Id", "Date"} {
		if n := len(mr.Header.Values(k)); n != 1 {
			t.Errorf("reply has %d %s fields, want 1", n, k)
		}
	}
}

// checkHTMLSafe fails the test if the HTML part of a reply could run
// anything or fetch anything: whatever we echo must arrive as text.
func checkHTMLSafe(t *testing.T, body string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Errorf("HTML part: %v", z.Err())
			}
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "style", "iframe", "frame", "object", "embed", "img", "link", "form", "input",
			"button", "svg", "math", "base", "audio", "video", "source", "textarea", "select":
			t.Errorf("HTML part has a <%s> element: %s", tok.Data, tok)
		}
		for _, a := range tok.Attr {
			v := strings.ToLower(strings.TrimSpace(a.Val))
			switch {
			case strings.HasPrefix(a.Key, "on"):
				t.Errorf("HTML part has an event handler: %s", tok)
			case (a.Key == "href" || a.Key == "src") && v != "" && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "mailto:"):
				t.Errorf("HTML part links to %q", a.Val)
			case a.Key == "style" && (strings.Contains(v, "url(") || strings.Contains(v, "expression(")):
				t.Errorf("HTML part's style fetches or runs something: %q", a.Val)
			case tok.Data == "meta" && a.Key == "http-equiv":
				t.Errorf("HTML part has %s", tok)
			}
		}
	}
}

// encodedWord is s as an RFC 2047 encoded word: how a control character
// can hide in a header line until it is decoded.
func encodedWord(s string) string {
	return "=?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
}

// folded is n characters of words as a header value folded over lines of
// RFC 5322's recommended length, so only its total size is unusual.
func folded(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		if i > 0 && i%10 == 0 {
			b.WriteString("\r\n")
		}
		b.WriteString(" word")
	}
	return b.String()
}

// TestHostileHeaders: what we echo from a header (name, subject, Message-ID)
// cannot add a field, a recipient or a line to our reply, and no size of
// header costs more than bounded time and memory.
func TestHostileHeaders(t *testing.T) {
	if !mailtest.Alone(t) {
		return
	}
	many := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(",\r\n ")
			}
			fmt.Fprintf(&b, "Person %d <p%d@example.org>", i, i)
		}
		return b.String()
	}
	junk := make([]string, 20000)
	for i := range junk {
		junk[i] = fmt.Sprintf("X-Junk-%d: %d", i, i)
	}
	refs := make([]string, 5000)
	for i := range refs {
		refs[i] = fmt.Sprintf("<r%d@example.org>", i)
	}
	subjectIs := func(want string) func(*testing.T, *rig, *sent) {
		return func(t *testing.T, _ *rig, r *sent) {
			if r.Subject != want {
				t.Errorf("reply subject %q, want %q", r.Subject, want)
			}
		}
	}
	for _, tc := range []hostileCase{
		{
			name: "CR LF in an encoded name",
			raw: hostileMsg("h1@example.org", []string{
				"From: " + encodedWord("Mary\r\nBcc: victim@example.org\r\n") + " <" + mary + ">", "Subject: help",
			}, "help\r\n"),
			answer: mary, outcome: "replied", log: "outcome=",
			check: func(t *testing.T, _ *rig, r *sent) {
				if r.Header.Get("Bcc") != "" || strings.Contains(r.Text, "\nBcc:") {
					t.Errorf("the name's Bcc came through: %q", r.Header.Get("Bcc"))
				}
			},
		},
		{
			name: "CR LF in an encoded subject",
			raw: hostileMsg("h2@example.org", []string{
				"From: Mary <" + mary + ">",
				"Subject: " + encodedWord("help\r\nBcc: victim@example.org\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>"),
			}, "help\r\n"),
			answer: mary, outcome: "replied", log: "outcome=",
			check: subjectIs("Re: help Bcc: victim@example.org Content-Type: text/html <script>alert(1)</script>"),
		},
		{
			name: "bare CR and LF in a raw subject",
			raw: hostileMsg("h3@example.org", []string{
				"From: " + mary, "Subject: help\rBcc: victim@example.org\nCc: victim2@example.org",
			}, "help\r\n"),
			answer: mary, outcome: "replied", log: "outcome=",
		},
		{
			name: "NUL and terminal escapes in a name",
			raw: hostileMsg("h4@example.org", []string{
				"From: " + encodedWord("Mary\x00\x1b]0;pwned\x07\x1b[2J") + " <" + mary + ">", "Subject: help",
			}, "help\r\n"),
			answer: mary, outcome: "replied", log: "outcome=",
			check: func(t *testing.T, _ *rig, r *sent) {
				if strings.ContainsAny(r.Text, "\x00\x1b\x07") || strings.ContainsAny(r.HTML, "\x00\x1b\x07") {
					t.Error("a control character from the name reached the body")
				}
			},
		},
		{
			name: "a 200 KB subject",
			raw: hostileMsg("h5@example.org", []string{"From: " + mary, "Subject:" + folded(200<<10)},
				"help\r\n"),
			answer: mary, outcome: "replied", log: "outcome=",
			check: func(t *testing.T, _ *rig, r *sent) {
				if !strings.HasPrefix(r.Subject, "Re: word word") || !strings.HasSuffix(r.Subject, "…") || utf8.RuneCountInString(r.Subject) > maxEchoSubject {
					t.Errorf("reply subject %q, want theirs cut short", r.Subject)
				}
			},
		},
		{
			name: "a 100 KB name",
			raw: hostileMsg("h6@example.org", []string{"From: \"" + strings.Repeat("Mary ", 20<<10) + "\" <" + mary + ">", "Subject: help"},
				"help\r\n"),
			answer: mary, outcome: "replied", log: "outcome=",
			check: func(t *testing.T, _ *rig, r *sent) {
				to, _ := r.Header.AddressList("To")
				if len(to) != 1 || !strings.HasPrefix(to[0].Name, "Mary Mary") || utf8.RuneCountInString(to[0].Name) > maxEchoName {
					t.Errorf("reply To %v, want their name cut short", to)
				}
				r.must(t, "Hello Mary,")
			},
		},
		{
			name:   "20,000 header fields",
			raw:    hostileMsg("h7@example.org", append([]string{"From: " + mary, "Subject: help"}, junk...), "help\r\n"),
			answer: mary, outcome: "replied", log: "outcome=",
		},
		{
			// go-message reads at most 1 MB of header: the rest is not
			// a message anyone sends.
			name:    "a header over 1 MB",
			raw:     hostileMsg("h8@example.org", []string{"From: " + mary, "Subject:" + folded(1100<<10)}, "help\r\n"),
			outcome: "ignored: no valid sender", log: "message partly unreadable",
		},
		{
			name: "10,000 recipients in To and Cc",
			raw: hostileMsg("h9@example.org", []string{
				"From: " + mary, "To: " + botAddress + ",\r\n " + many(5000), "Cc: " + many(5000), "Subject: help",
			}, "help\r\n"),
			answer: mary, outcome: "replied", log: "outcome=",
		},
		{
			name: "Reply-To someone else",
			raw: hostileMsg("h10@example.org", []string{
				"From: " + mary, "Reply-To: victim@example.org", "Subject: help",
			}, "help\r\n"),
			answer: mary, outcome: "replied", log: "outcome=",
		},
		{
			name: "5,000 References and a 900-character Message-ID",
			raw: hostileMsg(strings.Repeat("x", 900)+"@example.org", []string{
				"From: " + mary, "Subject: help", "In-Reply-To: " + refs[len(refs)-1], "References: " + strings.Join(refs, "\r\n "),
			}, "help\r\n"),
			answer: mary, outcome: "replied", log: "outcome=",
			check: func(t *testing.T, _ *rig, r *sent) {
				refs, err := r.Header.MsgIDList("References")
				if err != nil || len(refs) > maxReferences {
					t.Errorf("References: %d ids (%v), want at most %d", len(refs), err, maxReferences)
				}
			},
		},
		{
			name: "an encoded line break in the Message-ID",
			raw: hostileMsg("a=0D=0ABcc:victim@example.org", []string{
				"From: " + mary, "Subject: help",
			}, "help\r\n"),
			answer: mary, outcome: "replied", log: "outcome=",
		},
	} {
		t.Run(tc.name, func(t *testing.T) { runHostile(t, tc) })
	}
}

// nested is a message whose text sits depth multiparts deep.
func nested(id string, depth int, text string) string {
	var b strings.Builder
	b.WriteString("From: " + mary + "\r\nSubject: help\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b0\r\n")
	b.WriteString("Message-ID: <" + id + ">\r\n\r\n")
	for i := range depth {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i, i+1)
	}
	fmt.Fprintf(&b, "--b%d\r\nContent-Type: text/plain\r\n\r\n%s\r\n--b%d--\r\n", depth, text, depth)
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.String()
}

// zipBomb is a small zip file that inflates to 128 MB: 160 KB in
// base64, made once for the tests that send it.
var zipBomb = sync.OnceValue(func() []byte { return zipOfZeros(128) })

// zipOfZeros is a zip file of one file, mb megabytes of zeros, made
// without deflating them all (which took 1.6 s under -race): a megabyte
// of zeros deflated by a new writer and flushed to a byte boundary is a
// run of blocks that stands for a megabyte wherever a stream holds it,
// as it refers back to nothing before itself. The file's data is that
// run mb times and a final empty block. TestZipOfZeros reads one back.
func zipOfZeros(mb int) []byte {
	zeros := make([]byte, 1<<20)
	var run bytes.Buffer
	fw, err := flate.NewWriter(&run, flate.BestSpeed)
	if err != nil {
		panic(err)
	}
	fw.Write(zeros)
	if err := fw.Flush(); err != nil {
		panic(err)
	}
	var data bytes.Buffer
	sum := crc32.NewIEEE()
	for range mb {
		data.Write(run.Bytes())
		sum.Write(zeros)
	}
	// BFINAL set, fixed Huffman codes, then the end-of-block code: the
	// empty last block (RFC 1951 section 3.2.3).
	data.Write([]byte{0x03, 0x00})
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "photos.txt", Method: zip.Deflate, CRC32: sum.Sum32(),
		CompressedSize64: uint64(data.Len()), UncompressedSize64: uint64(mb) << 20})
	if err != nil {
		panic(err)
	}
	w.Write(data.Bytes())
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// TestZipOfZeros: the zip made as zipBomb is made reads back, its size
// and checksum checked by archive/zip, as the zeros it says it holds.
func TestZipOfZeros(t *testing.T) {
	t.Parallel()
	b := zipOfZeros(3)
	r, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.File) != 1 || r.File[0].UncompressedSize64 != 3<<20 {
		t.Fatalf("files %v, want one of 3 MB", r.File)
	}
	f, err := r.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	if len(got) != 3<<20 || bytes.ContainsFunc(got, func(r rune) bool { return r != 0 }) {
		t.Errorf("read back %d bytes, not all zeros; want 3 MB of zeros", len(got))
	}
	if bomb := zipBomb(); len(bomb) > 200<<10 {
		t.Errorf("the zip bomb is %d KB, want a small file", len(bomb)>>10)
	}
}

// base64Lines is b in base64, in lines of 76 (RFC 2045 section 6.8).
func base64Lines(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return out.String() + s + "\r\n"
}

// TestHostileBodies: bodies built to cost time or memory, or to be echoed.
func TestHostileBodies(t *testing.T) {
	if !mailtest.Alone(t) {
		return
	}
	mixed := func(id string, parts ...string) string {
		return hostileMsg(id, []string{"From: Mary <" + mary + ">", "Subject: help", "MIME-Version: 1.0",
			"Content-Type: multipart/mixed; boundary=zz"}, "--zz\r\n"+strings.Join(parts, "\r\n--zz\r\n")+"\r\n--zz--\r\n")
	}
	text := "Content-Type: text/plain\r\n\r\nhelp"
	var siblings []string
	for range 10000 {
		siblings = append(siblings, "Content-Type: text/plain\r\n\r\nhelp")
	}
	bigText := strings.Repeat("I would like to know what sessions there are please. ", 70000) // 3.6 MB
	divs := strings.Repeat("<div>", 200000) + "help" + strings.Repeat("</div>", 200000)

	for _, tc := range []hostileCase{
		{
			name: "1,000 nested multiparts", raw: nested("b1@example.org", 1000, "help"),
			answer: mary, outcome: "replied", log: "more than 16 levels",
		},
		{
			name: "10,000 parts side by side", raw: mixed("b2@example.org", siblings...),
			answer: mary, outcome: "replied", log: "200 parts: rest ignored",
		},
		{
			name: "3.6 MB of text in base64",
			raw: mixed("b3@example.org", "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"+
				base64Lines([]byte(bigText))),
			answer: mary, outcome: "replied", log: "outcome=",
		},
		{
			// An attachment is never opened: handling it costs what its
			// base64 does, nowhere near what it would inflate to.
			name: "a zip bomb attached", maxAlloc: 16 << 20,
			raw: mixed("b4@example.org", text, "Content-Type: application/zip; name=photos.zip\r\nContent-Disposition: attachment; filename=photos.zip\r\n"+
				"Content-Transfer-Encoding: base64\r\n\r\n"+base64Lines(zipBomb())),
			answer: mary, outcome: "replied", log: "outcome=",
		},
		{
			name: "broken base64",
			raw: mixed("b5@example.org", "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"+
				"aGVscA==!!!!\x00\x01 not base64 at all $$$\r\n"),
			answer: mary, outcome: "replied", log: "outcome=",
		},
		{
			name: "a million soft line breaks",
			raw: mixed("b6@example.org", "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"+
				strings.Repeat("=\r\n", 1<<20)+"help"),
			answer: mary, outcome: "replied", log: "outcome=",
		},
		{
			name: "200,000 nested divs",
			raw: hostileMsg("b7@example.org", []string{"From: " + mary, "Subject: help", "MIME-Version: 1.0", "Content-Type: text/html"},
				divs),
			answer: mary, outcome: "replied", log: "outcome=",
		},
		{
			name: "an unknown charset and transfer encoding",
			raw: hostileMsg("b8@example.org", []string{"From: " + mary, "Subject: help", "MIME-Version: 1.0",
				"Content-Type: text/plain; charset=x-klingon", "Content-Transfer-Encoding: x-rot13"}, "uryc\r\n"),
			answer: mary, outcome: "replied", log: "outcome=",
		},
	} {
		t.Run(tc.name, func(t *testing.T) { runHostile(t, tc) })
	}
}

// TestHostileEcho: markup and SQL in what people write come back as their
// words, never as markup or as a change to the database.
func TestHostileEcho(t *testing.T) {
	if !mailtest.Alone(t) {
		return
	}
	const script = `<script>alert(1)</script><img src=x onerror=alert(1)><a href='javascript:alert(1)'>x</a>`
	const bobby = "Robert'); DROP TABLE people;--"
	for _, tc := range []hostileCase{
		{
			name: "markup in a name",
			raw: hostileMsg("e1@example.org", []string{"From: \"" + script + "\" <" + sam + ">", "Subject: help"},
				"help\r\n"),
			answer: sam, outcome: "replied", log: "outcome=",
		},
		{
			name: "markup in a subject",
			raw: hostileMsg("e2@example.org", []string{"From: " + sam, "Subject: " + script},
				"what sessions are there?\r\n"),
			answer: sam, outcome: "replied", log: "outcome=",
		},
		{
			name: "markup in access needs, kept with a booking",
			raw: hostileMsg("e3@example.org", []string{"From: Sam <" + sam + ">", "Subject: booking"},
				"Please book me on 15 July. I use a wheelchair "+script+"\r\n"),
			answer: sam, outcome: "replied", log: "outcome=",
			check: func(t *testing.T, d *rig, r *sent) {
				r.must(t, "You are booked on")
				if !strings.Contains(r.HTML, "&lt;") && strings.Contains(r.Text, "<script>") {
					t.Errorf("the access needs are in the text but not escaped in the HTML:\n%s", r.HTML)
				}
				// Staff see the same words in the attendee list, as text.
				d.send(officer, "attendees", "attendees 15 July", provenStaff)
				a := d.one(officer)
				checkHTMLSafe(t, a.HTML)
				a.must(t, sam)
			},
		},
		{
			name: "markup in a staff newsletter",
			raw: hostileMsg("e4@example.org", []string{"From: " + officer, "Subject: Newsletter: " + script, provenStaff},
				"Hello "+script+"\r\n\r\n[click me](javascript:alert(1)) <iframe src=\"https://evil.example\"></iframe>\r\n"),
			answer: officer, outcome: "replied", log: "outcome=",
		},
		{
			name: "SQL in a name, subject and body",
			raw: hostileMsg("e5@example.org", []string{"From: \"" + bobby + "\" <bobby@example.org>", "Subject: ' OR '1'='1"},
				"Please book me on 15 July'; DELETE FROM bookings; --\r\n"),
			answer: "bobby@example.org", outcome: "replied", log: "outcome=",
			check: func(t *testing.T, d *rig, r *sent) {
				r.must(t, "You are booked on")
				if got := d.bookings("bd-2027-04"); !slices.Contains(got, "bobby@example.org confirmed 1") {
					t.Errorf("bookings %q, want bobby's", got)
				}
				p, err := d.st.Person(context.Background(), 1)
				if err == nil && p.Email == "bobby@example.org" && p.Name != bobby {
					t.Errorf("name stored as %q, want it as written", p.Name)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) { runHostile(t, tc) })
	}
}

// TestHostileAddresses: addresses that are odd but valid are answered at
// exactly that address; invalid ones are recorded and not answered.
func TestHostileAddresses(t *testing.T) {
	if !mailtest.Alone(t) {
		return
	}
	for i, tc := range []struct {
		from   string // the From field's value
		answer string // "" when it must not be answered
	}{
		{"o'brien@example.org", "o'brien@example.org"},
		{"Mary <mary+bookings@example.org>", "mary+bookings@example.org"},
		{"MARY@EXAMPLE.ORG", "mary@example.org"},
		{"first.last@sub.example.co.uk", "first.last@sub.example.co.uk"},
		{"\"Jones, Mary\" <m.jones@example.org>", "m.jones@example.org"},
		{"mary@example.org (Mary Jones)", "mary@example.org"},
		{"x@[192.0.2.1]", "x@[192.0.2.1]"},
		// Valid, but rare enough that refusing is safer than quoting them
		// right in every RCPT and header: recorded, not answered.
		{"\"john..doe\"@example.org", ""},
		{"\"with space\"@example.org", ""},
		{"a@b@example.org", ""},
		{"@example.org", ""},
		{"mary@", ""},
		{"<>", ""},
		{"undisclosed-recipients:;", ""},
		{"mary@@example.org", ""},
		{"mary@example.org>", ""},
		{"=?utf-8?q?mary=40example.org?=", ""},
	} {
		t.Run(tc.from, func(t *testing.T) {
			outcome, log := "replied", "outcome="
			if tc.answer == "" {
				outcome, log = "ignored: no valid sender", "outcome=\"ignored: no valid sender\""
			}
			runHostile(t, hostileCase{
				raw:    hostileMsg(fmt.Sprintf("a%d@example.org", i), []string{"From: " + tc.from, "Subject: help"}, "help\r\n"),
				answer: tc.answer, outcome: outcome, log: log,
			})
		})
	}
}

// TestHostileOverSMTP sends a few of the worst through the whole running
// bot: SMTP into the embedded server, IMAP into the bot, the reply out over
// SMTP and read back over IMAP. Each sender gets one clean reply, nobody
// else gets anything, and the inbox stays connected.
func TestHostileOverSMTP(t *testing.T) {
	t.Parallel()
	ms := startMailServer(t)
	svc, _ := startBot(t, e2eConfig(t, ms, t.TempDir(), map[string]string{"MAILBOT_STAFF": officer}))
	var crowd strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&crowd, ",\r\n p%d@example.org", i)
	}
	junk := make([]string, 20000)
	for i := range junk {
		junk[i] = fmt.Sprintf("X-Junk-%d: %d", i, i)
	}
	cases := []struct{ from, raw string }{
		{"p1@example.org", hostileMsg("s1@example.org", []string{
			"From: " + encodedWord("Pat\r\nBcc: victim@example.org") + " <p1@example.org>",
			"Subject: " + encodedWord("help\r\nBcc: victim@example.org"),
		}, "help\r\n")},
		{"p2@example.org", hostileMsg("s2@example.org", []string{"From: p2@example.org", "To: " + botAddress + crowd.String(), "Subject: help"}, "help\r\n")},
		{"p3@example.org", hostileMsg("s3@example.org", append([]string{"From: p3@example.org", "Subject: help"}, junk...), "help\r\n")},
		{"p4@example.org", strings.Replace(nested("s4@example.org", 1000, "help"), mary, "p4@example.org", 1)},
		{"p5@example.org", hostileMsg("s5@example.org", []string{"From: p5@example.org", "Subject: help", "MIME-Version: 1.0",
			"Content-Type: multipart/mixed; boundary=zz"}, "--zz\r\nContent-Type: text/plain\r\n\r\nhelp\r\n--zz\r\n"+
			"Content-Type: application/zip\r\nContent-Disposition: attachment; filename=a.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n"+
			base64Lines(zipBomb())+"--zz--\r\n")},
		{"p6@example.org", hostileMsg("s6@example.org", []string{"From: Pat <p6@example.org>", "Subject: booking"},
			"Please book me on 15 July. I use a wheelchair <script>alert(1)</script>\r\n")},
		{"", hostileMsg("s7@example.org", []string{"From: a@b@example.org", "Subject: help"}, "help\r\n")},
	}
	for _, c := range cases {
		mailtest.Send(t, ms.SMTPAddr(), cmp.Or(c.from, "x@example.org"), botAddress, c.raw)
	}
	sentinel(t, embedded(ms), svc, "zed@example.org")
	for _, c := range cases {
		if c.from == "" {
			continue
		}
		got := mailtest.Mailbox(t, ms.IMAPAddr(), c.from)
		if len(got) != 1 {
			t.Errorf("%s got %d replies, want 1", c.from, len(got))
			continue
		}
		checkNoInjection(t, got[0].Raw, c.from, "Return-Path", "Received", "Authentication-Results")
		checkHTMLSafe(t, readSent(t, got[0].Raw).HTML)
	}
	for _, who := range []string{"victim@example.org", "p0@example.org", "p9999@example.org", "x@example.org", "b@example.org"} {
		if n := len(mailtest.Mailbox(t, ms.IMAPAddr(), who)); n != 0 {
			t.Errorf("%s got %d messages, want none", who, n)
		}
	}
	if !svc.Inbox.Status().Connected {
		t.Error("the inbox is no longer connected")
	}
}
