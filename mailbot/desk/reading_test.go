package desk

import (
	"reflect"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/understand"
)

// TestReadingAgain: whatever was read ahead, what a turn gets is the
// reading of its own words against its own context.
func TestReadingAgain(t *testing.T) {
	t.Parallel()
	c := understand.Context{Now: time.Date(2027, 6, 15, 9, 0, 0, 0, time.UTC), TZ: time.UTC, Titles: []string{"Memory cafe"}}
	ahead := readWords("book the memory cafe", c)
	offered := c
	offered.Offered = 3
	more := c
	more.Titles = []string{"Memory cafe", "Walk"}
	for _, tc := range []struct {
		name, text string
		c          understand.Context
		ahead      Reading
	}{
		{"same", "book the memory cafe", c, ahead},
		{"other words", "2", c, ahead},
		{"answers a list", "2", offered, readWords("2", c)},
		{"other titles", "book the memory cafe", more, ahead},
		{"not read ahead", "book the memory cafe", c, Reading{}},
	} {
		got, want := tc.ahead.again(tc.text, tc.c), readWords(tc.text, tc.c)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v\nwant %+v", tc.name, got.read.Request, want.read.Request)
		}
	}
}
