package understand

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkParseRead is the inbound path's pure part for one message: MIME
// to the person's fresh words (Parse), and those words to the one reading
// the desk decides from (Read: the request, whether a person should see
// it, erasure, access, courtesy, views), on real mail clients' messages
// from the golden corpus.
//
//	go test -bench ParseRead -benchmem ./mailbot/understand
func BenchmarkParseRead(b *testing.B) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"gmail-web-reply", "outlook-desktop-reply", "apple-iphone-reply", "forward-outlook", "html-only"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "messages", name+".eml"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				m, err := Parse(raw)
				if m == nil {
					b.Fatalf("Parse: %v", err)
				}
				c := Context{
					Now: time.Date(2027, 6, 21, 9, 0, 0, 0, london), TZ: london, Subject: m.Subject,
					Titles: []string{"Better Days: what makes a good day?", "Promoting independence", "Learning new skills", "New to caring?"},
				}
				Read(m.Fresh, c)
			}
		})
	}
}
