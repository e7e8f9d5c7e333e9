package mailbot

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestReadSubscribers(t *testing.T) {
	t.Parallel()
	tz := ttLondon(t)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, tz)
	const header = "email,name,consented_at,source\n"
	for _, tc := range []struct {
		name string
		text string
		ask  bool
		want string   // the rows read, as email|name|consented|source; or ""
		errs []string // each in the error
	}{
		{"evidence", header + "ann@example.org,Ann,14/03/2026,form\nBob <Bob@Example.org>,,2026-02-01 10:30,paper\n", false,
			"ann@example.org|Ann|2026-03-14 00:00|form;bob@example.org|Bob|2026-02-01 10:30|paper", nil},
		{"columns in another order, CRLF, BOM", "\ufeffsource,consented_at,email,name\r\nform,1/2/2026,c@example.org,C\r\n", false,
			"c@example.org|C|2026-02-01 00:00|form", nil},
		{"no evidence, ask", header + "d@example.org,D,,\n", true, "d@example.org|D||", nil},
		{"no evidence", header + "d@example.org,D,,\ne@example.org,E,2026-01-01,\n", false, "",
			[]string{"row 2, column consented_at: no evidence", "row 3, column consented_at: no evidence", "nothing changed"}},
		{"bad address", header + "not an address,X,2026-01-01,form\n", true, "", []string{`row 2, column email: "not an address"`}},
		{"twice", header + "a@example.org,,2026-01-01,f\nA@EXAMPLE.ORG,,2026-01-01,f\n", false, "", []string{"row 3, column email: a@example.org is on row 2 too"}},
		{"future", header + "a@example.org,,2027-01-01,f\n", false, "", []string{"in the future"}},
		{"US date", header + "a@example.org,,03/14/2026,f\n", false, "", []string{"row 2, column consented_at", "day first"}},
		{"semicolons", strings.ReplaceAll(header, ",", ";") + "a@example.org;A;2026-01-01;f\n", false, "", []string{"semicolons"}},
		{"no source column", "email,name,consented_at\na@example.org,A,2026-01-01\n", true, "", []string{`no "source" column`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, err := ReadSubscribers(strings.NewReader(tc.text), tz, tc.ask, now)
			if len(tc.errs) > 0 {
				if err == nil {
					t.Fatalf("read %v, want an error", list)
				}
				for _, w := range tc.errs {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range list {
				when := ""
				if !s.ConsentedAt.IsZero() {
					when = s.ConsentedAt.In(tz).Format("2006-01-02 15:04")
				}
				got = append(got, strings.Join([]string{s.Email, s.Name, when, s.Source}, "|"))
			}
			if g := strings.Join(got, ";"); g != tc.want {
				t.Errorf("read %q, want %q", g, tc.want)
			}
		})
	}
}

// FuzzReadSubscribers: any file gives rows or an error, never a panic;
// every row read has an address, and evidence unless asked for.
func FuzzReadSubscribers(f *testing.F) {
	f.Add([]byte("email,name,consented_at,source\nann@example.org,Ann,14/03/2026,form\n"), false)
	f.Add([]byte("\ufeffemail;name\r\n"), true)
	f.Add([]byte("email,name,consented_at,source\n\"a\"@b.c,\x92,1/1/2000 0:00:00,x\n"), true)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte, ask bool) {
		list, err := ReadSubscribers(bytes.NewReader(b), time.UTC, ask, now)
		if err != nil {
			return
		}
		for _, s := range list {
			if !strings.Contains(s.Email, "@") || (!ask && !s.Evidence()) || s.ConsentedAt.After(now) {
				t.Fatalf("row read as %+v", s)
			}
			if !utf8.ValidString(s.Name) || !utf8.ValidString(s.Source) {
				t.Fatalf("row %+v holds invalid UTF-8", s)
			}
		}
	})
}
