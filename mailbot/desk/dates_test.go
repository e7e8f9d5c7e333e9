package desk

import (
	"testing"
	"time"
)

func TestWhen(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	local := func(y int, mo time.Month, d, h, mi int) time.Time {
		return time.Date(y, mo, d, h, mi, 0, 0, london)
	}
	tests := []struct {
		starts, ends time.Time
		tz           *time.Location
		want         string
	}{
		// The operator contract's own example.
		{local(2027, 7, 15, 13, 0), local(2027, 7, 15, 14, 0), london, "Thursday 15 July 2027, 1pm to 2pm"},
		{local(2027, 8, 10, 10, 0), local(2027, 8, 10, 11, 0), london, "Tuesday 10 August 2027, 10am to 11am"},
		{local(2027, 6, 24, 10, 30), local(2027, 6, 24, 11, 0), london, "Thursday 24 June 2027, 10:30am to 11am"},
		{local(2027, 8, 18, 11, 30), local(2027, 8, 18, 12, 30), london, "Wednesday 18 August 2027, 11:30am to 12:30pm"},
		{local(2027, 7, 21, 12, 0), local(2027, 7, 21, 13, 5), london, "Wednesday 21 July 2027, 12 noon to 1:05pm"},
		{local(2027, 7, 21, 11, 0), local(2027, 7, 21, 12, 0), london, "Wednesday 21 July 2027, 11am to 12 noon"},
		{local(2027, 7, 21, 0, 0), local(2027, 7, 21, 0, 45), london, "Wednesday 21 July 2027, 12 midnight to 12:45am"},
		{local(2027, 7, 21, 0, 15), local(2027, 7, 21, 1, 0), london, "Wednesday 21 July 2027, 12:15am to 1am"},
		// A UTC time is said in the organiser's zone: 12:00 UTC is 1pm BST.
		{utc(2027, 7, 15, 12, 0), utc(2027, 7, 15, 13, 0), london, "Thursday 15 July 2027, 1pm to 2pm"},
		{utc(2027, 7, 15, 12, 0), utc(2027, 7, 15, 13, 0), time.UTC, "Thursday 15 July 2027, 12 noon to 1pm"},
		// Clocks go back on Sunday 31 October 2027: the same UTC hour is
		// 11am BST the day before and 10am GMT on the day.
		{utc(2027, 10, 30, 10, 0), utc(2027, 10, 30, 11, 0), london, "Saturday 30 October 2027, 11am to 12 noon"},
		{utc(2027, 10, 31, 10, 0), utc(2027, 10, 31, 11, 0), london, "Sunday 31 October 2027, 10am to 11am"},
		{utc(2027, 11, 4, 10, 0), utc(2027, 11, 4, 11, 0), london, "Thursday 4 November 2027, 10am to 11am"},
		// Clocks go forward at 1am GMT on Sunday 28 March 2027: an hour
		// long session reads as two.
		{utc(2027, 3, 28, 0, 30), utc(2027, 3, 28, 1, 30), london, "Sunday 28 March 2027, 12:30am to 2:30am"},
		// A UTC evening that is past midnight in London ends on another day.
		{utc(2027, 7, 15, 22, 0), utc(2027, 7, 16, 0, 0), london, "Thursday 15 July 2027, 11pm to Friday 16 July, 1am"},
		{local(2027, 7, 15, 23, 0), local(2027, 7, 16, 0, 0), london, "Thursday 15 July 2027, 11pm to Friday 16 July, 12 midnight"},
	}
	for _, tt := range tests {
		if got := When(tt.starts, tt.ends, tt.tz); got != tt.want {
			t.Errorf("When(%v, %v, %v) = %q, want %q", tt.starts.UTC(), tt.ends.UTC(), tt.tz, got, tt.want)
		}
	}
}

func utc(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}
