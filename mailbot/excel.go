package mailbot

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// Files an officer saves from Excel: what "Save as CSV" writes depends on
// the Excel version and the machine's language. "CSV UTF-8" writes UTF-8
// after a byte order mark; plain "CSV" writes the Windows code page
// (Windows-1252 in the UK); "Unicode Text" writes UTF-16 with tabs; and
// where the decimal point is a comma, the separator is a semicolon. Lines
// end in CRLF, which encoding/csv reads as it is.

// maxCSVBytes bounds a file read whole to find its encoding: a timetable
// or mailing list is kilobytes; a mistaken path can be gigabytes.
const maxCSVBytes = 32 << 20

// spreadsheetText reads a CSV file as UTF-8 text, whatever Excel saved it
// as: UTF-8 with or without its BOM, UTF-16 with its BOM, or, when the
// bytes are not UTF-8, Windows-1252.
func spreadsheetText(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxCSVBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxCSVBytes {
		return nil, fmt.Errorf("the file is larger than %d MB: is it the right one?", maxCSVBytes>>20)
	}
	switch {
	case bytes.HasPrefix(b, []byte("\xef\xbb\xbf")):
		b = b[3:]
	case bytes.HasPrefix(b, []byte("\xff\xfe")), bytes.HasPrefix(b, []byte("\xfe\xff")):
		// The BOM says which end first; the decoder drops it.
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		if b, err = dec.Bytes(b); err != nil {
			return nil, fmt.Errorf("the file starts as UTF-16 but is not: %w", err)
		}
	case !utf8.Valid(b):
		// Every byte is a character in Windows-1252 (the five it leaves
		// out become U+FFFD), so this cannot fail.
		b, _ = charmap.Windows1252.NewDecoder().Bytes(b)
	}
	// A file that says it is UTF-8 (its BOM) but is not, somewhere, is
	// damaged there: the damage shows as U+FFFD, and nothing stored is
	// invalid text.
	return bytes.ToValidUTF8(b, []byte("\uFFFD")), nil
}

// separatorProblem says what is wrong when a header line that lacks want
// (the first column's name, "id" or "email") is separated by something
// other than commas: Excel's "CSV" in a semicolon locale, or "Text (Tab
// delimited)". It is "" when the header looks comma-separated.
func separatorProblem(header string) string {
	if strings.Contains(header, ",") {
		return ""
	}
	for _, sep := range []struct{ char, name string }{{";", "semicolons (;)"}, {"\t", "tabs"}} {
		if strings.Contains(header, sep.char) {
			return fmt.Sprintf("the columns are separated by %s, not commas: in Excel, save it as \"CSV UTF-8 (Comma delimited)\"", sep.name)
		}
	}
	return ""
}

// firstLine is the text up to the first line break.
func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return strings.TrimSuffix(string(line), "\r")
}

// spreadsheetTimes are the forms of a date and time read in a timetable,
// in the operator's time zone: ours, and what UK Excel writes (day first,
// with or without seconds and leading zeros).
var spreadsheetTimes = []string{
	"2006-01-02 15:04",
	"2006-01-02 15:04:05",
	"2/1/2006 15:04",
	"2/1/2006 15:04:05",
}

// parseSpreadsheetTime reads a date and time in tz in one of
// spreadsheetTimes, or RFC 3339 (which carries its own offset).
func parseSpreadsheetTime(s string, tz *time.Location) (time.Time, error) {
	for _, layout := range spreadsheetTimes {
		if t, err := time.ParseInLocation(layout, s, tz); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q: want a date like 2027-07-15 13:00 or 15/07/2027 13:00 (day first), or RFC 3339", s)
}

// sheetRow is one row of a sheet being read: its cells by column name,
// and where to report what is wrong with them.
type sheetRow struct {
	n    int // the row's number in the file, the header being 1
	get  func(column string) string
	errs *[]error
}

// bad reports a bad cell, by row and column.
func (r sheetRow) bad(column, format string, args ...any) {
	*r.errs = append(*r.errs, fmt.Errorf("row %d, column %s: %s", r.n, column, fmt.Sprintf(format, args...)))
}

// readSheet reads a CSV file as Excel saves it (spreadsheetText), its
// header naming at least columns, in any order and case, and calls each
// for every row. what names the file in messages ("timetable"). Every
// bad row is reported; the error says nothing was changed, as the
// caller keeps nothing unless every row is good.
func readSheet(r io.Reader, what string, columns []string, each func(sheetRow)) error {
	text, err := spreadsheetText(r)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	cr := csv.NewReader(bytes.NewReader(text))
	cr.FieldsPerRecord = -1 // reported below, with the row number
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s header: %w", what, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, c := range columns {
		if _, ok := col[c]; !ok {
			if p := separatorProblem(firstLine(text)); p != "" {
				return fmt.Errorf("%s header: %s", what, p)
			}
			return fmt.Errorf("%s header: no %q column (want %s)", what, c, strings.Join(columns, ","))
		}
	}
	var errs []error
	for n := 2; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s row %d: %w", what, n, err)
		}
		if len(rec) != len(header) {
			errs = append(errs, fmt.Errorf("row %d: %d fields, want %d", n, len(rec), len(header)))
			continue
		}
		each(sheetRow{n: n, errs: &errs, get: func(c string) string {
			i, ok := col[c]
			if !ok {
				return "" // an optional column left out
			}
			return strings.TrimSpace(rec[i])
		}})
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s not imported, nothing changed:\n%w", what, errors.Join(errs...))
	}
	return nil
}
