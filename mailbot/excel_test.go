package mailbot

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the .golden files from what the code does now")

// TestTimetableFromExcel reads each timetable in testdata/excel as Excel
// saves it (UTF-8 with a BOM and CRLF, plain UTF-8, Windows-1252, UTF-16
// with tabs, semicolons, US dates) and compares what is read, or the
// error, with its .golden file.
func TestTimetableFromExcel(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/excel/*")
	if err != nil {
		t.Fatal(err)
	}
	tz := ttLondon(t)
	n := 0
	for _, path := range files {
		if strings.HasSuffix(path, ".golden") {
			continue
		}
		n++
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var got bytes.Buffer
			sessions, err := ReadTimetable(f, tz)
			if err != nil {
				fmt.Fprintf(&got, "error: %v\n", err)
			}
			for _, s := range sessions {
				fmt.Fprintf(&got, "%s | %s | %s | %s to %s | %d | %s | %s\n", s.ID, s.Kind, s.Title,
					s.Starts.In(tz).Format(time.DateTime), s.Ends.In(tz).Format(time.DateTime), s.Capacity, s.Location, s.Description)
			}
			golden := strings.TrimSuffix(path, filepath.Ext(path)) + ".golden"
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to make it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("ReadTimetable(%s):\n%s\nwant (%s):\n%s", path, got.Bytes(), golden, want)
			}
		})
	}
	if n < 6 {
		t.Errorf("%d timetables in testdata/excel, want the 6 Excel forms", n)
	}
}

// The same session read from every Excel form is the same session.
func TestTimetableExcelFormsAgree(t *testing.T) {
	t.Parallel()
	tz := ttLondon(t)
	var first string
	for _, name := range []string{"utf8-bom-crlf.csv", "utf8-lf.csv", "windows-1252.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata/excel", name))
		if err != nil {
			t.Fatal(err)
		}
		sessions, err := ReadTimetable(bytes.NewReader(b), tz)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := fmt.Sprintf("%+v", sessions)
		if first == "" {
			first = got
		} else if got != first {
			t.Errorf("%s reads as\n%s\nbut the UTF-8 file as\n%s", name, got, first)
		}
	}
}

func TestParseSpreadsheetTime(t *testing.T) {
	t.Parallel()
	tz := ttLondon(t)
	want := time.Date(2027, 7, 15, 13, 0, 0, 0, tz)
	for _, s := range []string{"2027-07-15 13:00", "2027-07-15 13:00:00", "15/07/2027 13:00", "15/7/2027 13:00:00", "2027-07-15T12:00:00Z"} {
		got, err := parseSpreadsheetTime(s, tz)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseSpreadsheetTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"07/15/2027 13:00", "15/07/27 13:00", "15 July 2027", "", "32/01/2027 10:00"} {
		if got, err := parseSpreadsheetTime(s, tz); err == nil {
			t.Errorf("parseSpreadsheetTime(%q) = %v, want an error", s, got)
		}
	}
}

// FuzzReadTimetable: any bytes at all, in any encoding, give sessions or
// an error, never a panic, and what is read is valid UTF-8.
func FuzzReadTimetable(f *testing.F) {
	files, _ := filepath.Glob("testdata/excel/*")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(DemoTimetable))
	f.Add([]byte("\xff\xfe\x00"))
	f.Add([]byte("\xef\xbb\xbfid;kind\r\n"))
	tz := time.UTC
	f.Fuzz(func(t *testing.T, b []byte) {
		sessions, err := ReadTimetable(bytes.NewReader(b), tz)
		if err != nil {
			return
		}
		for _, s := range sessions {
			for _, text := range []string{s.ID, s.Title, s.Location, s.Description} {
				if !utf8.ValidString(text) {
					t.Fatalf("session %+v holds invalid UTF-8", s)
				}
			}
		}
	})
}
