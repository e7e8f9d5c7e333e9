package calendar

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.ics from the current output")

// TestGolden pins the exact bytes of an invitation and its cancellation,
// so any change to what people's calendars receive shows in review.
// Regenerate with: go test ./mailbot/calendar -run TestGolden -update
func TestGolden(t *testing.T) {
	t.Parallel()
	loc := mustLoad(t, "Europe/London")
	invite := booking(loc)
	invite.Sequence = 0
	cancel := booking(loc)
	cancel.Sequence = 1 // the caller bumps SEQUENCE when cancelling
	cancel.Stamp = cancel.Stamp.Add(48 * time.Hour)
	tests := []struct {
		file   string
		method Method
		ev     Event
	}{
		{"request.ics", Request, invite},
		{"cancel.ics", Cancel, cancel},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := write(t, tt.method, loc, tt.ev)
			path := filepath.Join("testdata", "golden", tt.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Write(%s) differs from %s (run with -update if the change is meant):\n got:\n%s\nwant:\n%s", tt.method, path, got, want)
			}
		})
	}
}
