package main

import (
	"encoding/csv"
	"flag"
	"io"
)

// excelFlag is every export's --excel.
func excelFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("excel", false, "for Excel: a byte order mark, so it reads the file as UTF-8, and CRLF line ends")
}

// csvWriter writes an export's CSV to w. Excel reads a CSV file without a
// byte order mark in the Windows code page, turning "Zoë" into "ZoÃ«";
// with excel the file starts with one and its lines end in CRLF.
func csvWriter(w io.Writer, excel bool) (*csv.Writer, error) {
	if excel {
		if _, err := io.WriteString(w, "\ufeff"); err != nil {
			return nil, err
		}
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = excel
	return cw, nil
}
