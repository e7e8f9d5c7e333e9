package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/betterdays/mailbot/mailbot"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

const bxHeader = "session_id,title,starts,email,name,places,status,booked_at,source,phone,access_needs"

var bxLondon = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return l
}()

// bxNow is when the bookings below are made: before every session.
var bxNow = time.Date(2027, 6, 1, 9, 30, 0, 0, bxLondon)

const bxTimetable = "id,kind,title,starts,ends,capacity,location,description\n" +
	"s-a,session,Coffee and conversation,2027-07-15 13:00,2027-07-15 14:00,2,Town Hall,Tea\n" +
	"s-b,session,\"Gardening, together\",2027-08-26 10:00,2027-08-26 11:30,1,Online,Plants\n" +
	"s-c,session,Nobody booked yet,2027-09-01 10:00,2027-09-01 11:00,5,Library,\n"

// bxDB makes a database in a temporary directory with bxTimetable and
// returns its path and the open store; the caller writes bookings and the
// store is closed when the test ends.
func bxDB(t *testing.T) (string, *store.Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mailbot.db")
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sessions, err := mailbot.ReadTimetable(strings.NewReader(bxTimetable), bxLondon)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mailbot.ImportTimetable(ctx, st, sessions, bxNow, nil); err != nil {
		t.Fatal(err)
	}
	return path, st
}

// bxBook books for email (noting the person) at bxNow plus after.
func bxBook(t *testing.T, st *store.Store, email, name string, nb store.NewBooking, after time.Duration) store.Booking {
	t.Helper()
	var b store.Booking
	err := st.Write(context.Background(), func(tx *store.Tx) error {
		id, err := tx.NotePerson(context.Background(), email, name, bxNow.Add(after))
		if err != nil {
			return err
		}
		nb.PersonID = id
		b, _, err = tx.Book(context.Background(), nb, bxNow.Add(after))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bxExport runs `mailbot bookings export` with args on the database at
// path: exit code, standard output and standard error.
func bxExport(t *testing.T, path string, args ...string) (int, string, string) {
	t.Helper()
	env := map[string]string{"MAILBOT_DB": path}
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"bookings", "export"}, args...), func(k string) string { return env[k] }, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// bxRows parses out as CSV, checking its first line is exactly the
// contract's header, and returns the rows after it.
func bxRows(t *testing.T, out string) [][]string {
	t.Helper()
	first, _, _ := strings.Cut(out, "\n")
	if strings.TrimSuffix(first, "\r") != bxHeader {
		t.Fatalf("first line = %q, want exactly %q", first, bxHeader)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("export is not valid CSV: %v\n%s", err, out)
	}
	for i, r := range recs {
		if len(r) != 11 {
			t.Errorf("row %d has %d fields, want 11: %q", i+1, len(r), r)
		}
	}
	return recs[1:]
}

func bxJoin(rows [][]string) string {
	var lines []string
	for _, r := range rows {
		lines = append(lines, strings.Join(r, "|"))
	}
	return strings.Join(lines, "\n")
}

// bxFixture is a database with bookings of every status and source, a
// name written to run as a spreadsheet formula, and a title with a comma.
func bxFixture(t *testing.T) string {
	t.Helper()
	path, st := bxDB(t)
	bxBook(t, st, "ann@example.org", "Ann Smith", store.NewBooking{SessionID: "s-a", Places: 1, Source: "email",
		Phone: "07700 900123", Needs: "I use a wheelchair; large print"}, 0)
	bxBook(t, st, "eve@example.org", `=HYPERLINK("http://evil.example/","click")`, store.NewBooking{SessionID: "s-a", Places: 1, Source: "email"}, time.Minute)
	bxBook(t, st, "carl@example.org", "Carl", store.NewBooking{SessionID: "s-a", Places: 2, Source: "staff"}, 2*time.Minute)
	d := bxBook(t, st, "dora@example.org", "Dora Lee", store.NewBooking{SessionID: "s-b", Places: 1, Source: "cli", Phone: "+44 7700 900456"}, 3*time.Minute)
	err := st.Write(context.Background(), func(tx *store.Tx) error {
		_, _, err := tx.Cancel(context.Background(), d.ID, bxNow.Add(4*time.Minute))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Close() // the command opens the file itself
	return path
}

func TestBookingsExport(t *testing.T) {
	t.Parallel()
	path := bxFixture(t)
	code, out, errOut := bxExport(t, path)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	got := bxJoin(bxRows(t, out))
	want := strings.Join([]string{
		"s-a|Coffee and conversation|2027-07-15 13:00|ann@example.org|Ann Smith|1|confirmed|2027-06-01 09:30|email|07700 900123|I use a wheelchair; large print",
		`s-a|Coffee and conversation|2027-07-15 13:00|eve@example.org|'=HYPERLINK("http://evil.example/","click")|1|confirmed|2027-06-01 09:31|email||`,
		"s-a|Coffee and conversation|2027-07-15 13:00|carl@example.org|Carl|2|waitlisted|2027-06-01 09:32|staff||",
		"s-b|Gardening, together|2027-08-26 10:00|dora@example.org|Dora Lee|1|cancelled|2027-06-01 09:33|cli|'+44 7700 900456|",
	}, "\n")
	if got != want {
		t.Errorf("export rows:\n%s\nwant:\n%s\nraw:\n%s", got, want, out)
	}
	// The title with a comma is quoted, not split.
	if !strings.Contains(out, `"Gardening, together"`) {
		t.Errorf("title with a comma not quoted:\n%s", out)
	}
}

func TestBookingsExportSession(t *testing.T) {
	t.Parallel()
	path := bxFixture(t)
	for _, tc := range []struct {
		session string
		want    []string // email of each row, in order
	}{
		{"s-a", []string{"ann@example.org", "eve@example.org", "carl@example.org"}},
		{"s-b", []string{"dora@example.org"}},
		{"s-c", nil}, // a real session nobody booked: the header alone
	} {
		for _, args := range [][]string{{"--session", tc.session}, {"--session=" + tc.session}, {"-session", tc.session}} {
			code, out, errOut := bxExport(t, path, args...)
			if code != 0 {
				t.Errorf("%q: exit %d; stderr:\n%s", args, code, errOut)
				continue
			}
			var emails []string
			for _, r := range bxRows(t, out) {
				if r[0] != tc.session {
					t.Errorf("%q: row of session %q: %q", args, r[0], r)
				}
				emails = append(emails, r[3])
			}
			if fmt.Sprint(emails) != fmt.Sprint(tc.want) {
				t.Errorf("%q: rows for %v, want %v", args, emails, tc.want)
			}
		}
	}
}

func TestBookingsExportErrors(t *testing.T) {
	t.Parallel()
	path := bxFixture(t)
	for _, tc := range []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"--session", "no-such-session"}, "no-such-session"},
		{[]string{"--session"}, "session"},
		{[]string{"--sesion", "s-a"}, "sesion"},
		{[]string{"s-a"}, "usage"},
	} {
		code, out, errOut := bxExport(t, path, tc.args...)
		if code == 0 {
			t.Errorf("%q: exit 0, want non-zero; stdout:\n%s", tc.args, out)
		}
		if !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: stderr %q does not mention %q", tc.args, errOut, tc.want)
		}
		if out != "" {
			t.Errorf("%q: an error still wrote to stdout (a script would read a partial CSV):\n%s", tc.args, out)
		}
	}
}

// TestBookingsExportEmpty: a new database exports the header alone.
func TestBookingsExportEmpty(t *testing.T) {
	t.Parallel()
	path, st := bxDB(t)
	st.Close()
	code, out, errOut := bxExport(t, path)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	if rows := bxRows(t, out); len(rows) != 0 {
		t.Errorf("empty database exported rows %q", rows)
	}
}

func bxQuietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// bxClock is a fixed time.
type bxClock struct{ t time.Time }

func (c bxClock) Now() time.Time { return c.t }

// TestBookingsExportFromMail books through the bot itself, as a stranger's
// email does: the name and the address are theirs to choose, and
// neither may reach a spreadsheet as a formula.
func TestBookingsExportFromMail(t *testing.T) {
	t.Parallel()
	path, st := bxDB(t)
	env := map[string]string{"MAILBOT_DB": path, "MAILBOT_IMAP": "imap://bot@127.0.0.1:1", "MAILBOT_SMTP": "smtp://127.0.0.1:1"}
	cfg, err := mailbot.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	bot, err := mailbot.NewBot(cfg, st, tpl, bxClock{bxNow}, bxQuietLog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, from := range []string{
		`"=2+5" <pat@example.org>`,
		`Sam <=cmd|'/Ccalc'!A0@example.org>`,
	} {
		raw := fmt.Sprintf("From: %s\r\nTo: betterdays@localhost\r\nSubject: booking\r\nMessage-ID: <x%d@example.org>\r\n\r\nPlease book me on coffee and conversation. I need @large print.\r\n", from, i)
		if err := bot.Handle(context.Background(), mailbot.Delivery{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(i + 1), Received: bxNow, Size: int64(len(raw)), Raw: []byte(raw)}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	code, out, errOut := bxExport(t, path, "--session", "s-a")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	rows := bxRows(t, out)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2 (both booked by email):\n%s", len(rows), out)
	}
	if rows[0][4] != "'=2+5" || rows[0][3] != "pat@example.org" || rows[0][8] != "email" {
		t.Errorf("first row = %q, want name '=2+5 from pat@example.org by email", rows[0])
	}
	if a := strings.TrimPrefix(rows[1][3], "'"); !strings.EqualFold(a, "=cmd|'/Ccalc'!A0@example.org") {
		t.Fatalf("second row = %q, want the address from the From header (case aside)", rows[1])
	}
	for _, r := range rows {
		for i, cell := range r {
			if cell == "" || !strings.ContainsRune("=+-@", rune(cell[0])) {
				continue
			}
			t.Errorf("column %d starts with %q: %q", i+1, cell[:1], cell)
		}
	}
}

func TestSafeCell(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Ann Smith", "Ann Smith"},
		{"ann@example.org", "ann@example.org"},
		{"I use a wheelchair; large print", "I use a wheelchair; large print"},
		{"Smith, Jo", "Smith, Jo"},
		{"x; y", "x; y"},
		{"07700-900123", "07700-900123"},
		{"07700 900123 - mobile", "07700 900123 - mobile"},
		{"'=1", "'=1"}, // text already
		{"=1+1", "'=1+1"},
		{"+44 7700 900456", "'+44 7700 900456"},
		{"-", "'-"},
		{"-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0"},
		{"@large print", "'@large print"},
		{"＝1+1", "'＝1+1"},
		// A separator begins a cell in some locale or importer.
		{`x;=HYPERLINK("http://evil.example/";"click")`, `x;'=HYPERLINK("http://evil.example/";"click")`},
		{"x;=cmd|' /C calc'!A0", "x;'=cmd|' /C calc'!A0"},
		{";=HYPERLINK(1)", ";'=HYPERLINK(1)"},
		{" ;, =1", " ;, '=1"},
		{"a,@SUM(1)", "a,'@SUM(1)"},
		{"a\t+1", "a\t'+1"},
		{"line one\n=1+1", "line one\n'=1+1"},
		{"line one\r\n-2", "line one\r\n'-2"},
		{"=1;=2", "'=1;'=2"},
		// Past what a spreadsheet may trim or read as a quote.
		{`"=1"`, `"'=1"`},
		{"\u00a0=1", "\u00a0'=1"},
		{"\u200b=1", "\u200b'=1"},
		// Control characters.
		{"\t=1", "'\t'=1"},
		{"\rhello", "'\rhello"},
		{"\x07bell", "'\x07bell"},
		{"x;\x00y", "x;'\x00y"},
		{"ok\x07", "ok\x07"}, // not where a cell begins
	} {
		if got := safeCell(tc.in); got != tc.want {
			t.Errorf("safeCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// formulaAt finds, in text as written to a file, a cell that a spreadsheet
// splitting at any of ; , tab and line breaks and ignoring quotes would take
// as a formula: one whose first character past spaces, quotes and invisible
// marks is = + - @ (or full-width), or a control character.
func formulaAt(text string) (string, bool) {
	cells := strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(";,\t\r\n", r) })
	for _, c := range cells {
		rest := strings.TrimLeftFunc(c, func(r rune) bool {
			return r == '"' || (unicode.IsSpace(r) && !unicode.IsControl(r)) || unicode.Is(unicode.Cf, r)
		})
		if r, _ := utf8.DecodeRuneInString(rest); rest != "" && (strings.ContainsRune("=+-@＝＋－＠", r) || unicode.IsControl(r)) {
			return c, true
		}
	}
	return "", false
}

// FuzzSafeCell writes whatever a stranger might send as a cell of a CSV
// row and reads it back: CSV gives back the guarded cell; the guard only
// ever adds apostrophes, and adds none to a cell that needs none; and no
// locale's split of the line as written finds a formula.
func FuzzSafeCell(f *testing.F) {
	for _, s := range []string{"Ann", "=1+1", "x;=HYPERLINK(\"a\";\"b\")", " ;,\t@x", "07700-900123", "\"=1\"", "a\n-1", "\x00", "＠x", "\u200b+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // the store keeps what mail decoding made: UTF-8
		}
		got := safeCell(s)
		if strings.ReplaceAll(got, "'", "") != strings.ReplaceAll(s, "'", "") {
			t.Fatalf("safeCell(%q) = %q: more than apostrophes added", s, got)
		}
		if r, _ := utf8.DecodeRuneInString(s); unicode.IsControl(r) {
			// OWASP's leading tab or CR: guarded though a split finds no formula.
		} else if _, bad := formulaAt(s); !bad && got != s {
			t.Fatalf("safeCell(%q) = %q, but nothing in it runs as a formula", s, got)
		}
		if again := safeCell(got); again != got {
			t.Fatalf("safeCell(safeCell(%q)) = %q, want %q: guarded twice", s, again, got)
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write([]string{"s-a", got, "1"})
		w.Flush()
		if c, bad := formulaAt(buf.String()); bad {
			t.Fatalf("safeCell(%q) = %q is written as %q: cell %q is a formula", s, got, buf.String(), c)
		}
		rec, err := csv.NewReader(&buf).Read()
		// CSV readers drop a CR before a line feed, in quotes too.
		if err != nil || len(rec) != 3 || rec[1] != strings.ReplaceAll(got, "\r\n", "\n") {
			t.Fatalf("safeCell(%q) = %q reads back as %q, %v", s, got, rec, err)
		}
	})
}
