package mailbot

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/store"
)

func ttLondon(t *testing.T) *time.Location {
	t.Helper()
	tz, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return tz
}

func ttUTC(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

func TestReadTimetableDemo(t *testing.T) {
	t.Parallel()
	sessions, err := ReadTimetable(strings.NewReader(DemoTimetable), ttLondon(t))
	if err != nil {
		t.Fatalf("ReadTimetable(demo) error = %v", err)
	}
	if got, want := len(sessions), 16; got != want {
		t.Fatalf("ReadTimetable(demo) = %d sessions, want %d", got, want)
	}
	first := sessions[0]
	want := store.Session{
		ID: "bd-2027-01", Kind: "session", Title: "Better Days: what makes a good day?",
		Starts: ttUTC(2027, 6, 22, 9, 0), Ends: ttUTC(2027, 6, 22, 10, 0), // 10am to 11am BST
		Capacity: 30, Location: "Online (Microsoft Teams)",
		Description: "Opening conversation: what people do with their day and what they would like to do.",
	}
	if !first.Starts.Equal(want.Starts) || !first.Ends.Equal(want.Ends) {
		t.Errorf("sessions[0] times = %v to %v, want %v to %v", first.Starts.UTC(), first.Ends.UTC(), want.Starts, want.Ends)
	}
	first.Starts, first.Ends = want.Starts, want.Ends
	if first != want {
		t.Errorf("sessions[0] = %+v, want %+v", first, want)
	}
	if got, want := sessions[2].Location, "Dorchester library, meeting room 2"; got != want {
		t.Errorf("sessions[2].Location = %q, want %q (a quoted comma)", got, want)
	}
	kinds := map[store.SessionKind]int{}
	for _, s := range sessions {
		kinds[s.Kind]++
	}
	if kinds["session"] != 9 || kinds["dropin"] != 7 {
		t.Errorf("kinds = %v, want 9 session and 7 dropin", kinds)
	}
}

func TestReadTimetableFormats(t *testing.T) {
	t.Parallel()
	want := store.Session{
		ID: "s1", Kind: "session", Title: "Carers' break", Starts: ttUTC(2027, 7, 15, 12, 0), Ends: ttUTC(2027, 7, 15, 13, 0),
		Capacity: 20, Location: "Online", Description: "For carers, and the people they care for.",
	}
	tests := []struct {
		name, csv string
	}{
		{"local times", "id,kind,title,starts,ends,capacity,location,description\n" +
			`s1,session,Carers' break,2027-07-15 13:00,2027-07-15 14:00,20,Online,"For carers, and the people they care for."` + "\n"},
		{"RFC 3339 with offset", "id,kind,title,starts,ends,capacity,location,description\n" +
			`s1,session,Carers' break,2027-07-15T13:00:00+01:00,2027-07-15T14:00:00+01:00,20,Online,"For carers, and the people they care for."` + "\n"},
		{"RFC 3339 UTC", "id,kind,title,starts,ends,capacity,location,description\n" +
			`s1,session,Carers' break,2027-07-15T12:00:00Z,2027-07-15T13:00:00Z,20,Online,"For carers, and the people they care for."` + "\n"},
		{"columns in another order", "description,location,capacity,ends,starts,title,kind,id\n" +
			`"For carers, and the people they care for.",Online,20,2027-07-15 14:00,2027-07-15 13:00,Carers' break,session,s1` + "\n"},
		{"spreadsheet export: BOM, CRLF, capitals, spaces", "\ufeffID, Kind ,Title,Starts,Ends,Capacity,Location,Description\r\n" +
			`s1,Session,Carers' break, 2027-07-15 13:00 ,2027-07-15 14:00, 20 ,Online,"For carers, and the people they care for."` + "\r\n"},
	}
	for _, tt := range tests {
		got, err := ReadTimetable(strings.NewReader(tt.csv), ttLondon(t))
		if err != nil {
			t.Errorf("%s: ReadTimetable error = %v, want nil", tt.name, err)
			continue
		}
		if len(got) != 1 {
			t.Errorf("%s: ReadTimetable = %d sessions, want 1", tt.name, len(got))
			continue
		}
		s := got[0]
		if !s.Starts.Equal(want.Starts) || !s.Ends.Equal(want.Ends) {
			t.Errorf("%s: times = %v to %v, want %v to %v", tt.name, s.Starts.UTC(), s.Ends.UTC(), want.Starts, want.Ends)
		}
		s.Starts, s.Ends = want.Starts, want.Ends
		if s != want {
			t.Errorf("%s: ReadTimetable = %+v, want %+v", tt.name, s, want)
		}
	}
}

func TestReadTimetableBadRows(t *testing.T) {
	t.Parallel()
	csv := strings.Join([]string{
		"id,kind,title,starts,ends,capacity,location,description",
		"ok-1,session,Fine,2027-07-15 13:00,2027-07-15 14:00,20,Online,",       // row 2: good
		"bad-kind,workshop,Title,2027-07-15 13:00,2027-07-15 14:00,20,Online,", // row 3
		"bad-date,session,Title,15/07/2027 1pm,2027-07-15 14:00,20,Online,",    // row 4
		"backwards,session,Title,2027-07-15 14:00,2027-07-15 13:00,20,Online,", // row 5
		"bad-cap,dropin,Title,2027-07-15 13:00,2027-07-15 14:00,lots,Online,",  // row 6
		",session,,2027-07-15 13:00,2027-07-15 14:00,-1,Online,",               // row 7: id, title, capacity
		"ok-1,session,Again,2027-07-16 13:00,2027-07-16 14:00,20,Online,",      // row 8: duplicate id
		"short,session,Title", // row 9
		"ok-2,dropin,Fine too,2027-07-17 10:00,2027-07-17 10:30,1,By phone,A drop-in.", // row 10: good
	}, "\n") + "\n"
	sessions, err := ReadTimetable(strings.NewReader(csv), ttLondon(t))
	if sessions != nil {
		t.Errorf("ReadTimetable(bad rows) = %d sessions, want none", len(sessions))
	}
	if err == nil {
		t.Fatal("ReadTimetable(bad rows) error = nil, want one listing every bad cell")
	}
	for _, want := range []string{
		"row 3, column kind",
		"row 4, column starts",
		"row 5, column ends",
		"row 6, column capacity",
		"row 7, column id",
		"row 7, column title",
		"row 7, column capacity",
		"row 8, column id",
		"row 9: 3 fields, want 8",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ReadTimetable(bad rows) error = %q, want it to contain %q", err, want)
		}
	}
	for _, good := range []string{"row 2,", "row 2:", "row 10"} {
		if strings.Contains(err.Error(), good) {
			t.Errorf("ReadTimetable(bad rows) error = %q, want nothing about good %s", err, good)
		}
	}
}

func TestReadTimetableHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, csv, want string
	}{
		{"missing column", "id,kind,title,starts,ends,capacity,description\n", `"location"`},
		{"empty file", "", "header"},
	}
	for _, tt := range tests {
		sessions, err := ReadTimetable(strings.NewReader(tt.csv), ttLondon(t))
		if err == nil || !strings.Contains(err.Error(), tt.want) || sessions != nil {
			t.Errorf("%s: ReadTimetable = %d sessions, %v; want none and an error containing %q", tt.name, len(sessions), err, tt.want)
		}
	}
}

func TestImportTimetable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := recOpenStore(t)
	tz := ttLondon(t)
	now := ttUTC(2027, 5, 1, 12, 0)
	sessions, err := ReadTimetable(strings.NewReader(DemoTimetable), tz)
	if err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name   string
		change func(s []store.Session)
		want   ImportResult
	}{
		{"first import", func([]store.Session) {}, ImportResult{Added: 16}},
		{"same again", func([]store.Session) {}, ImportResult{Unchanged: 16}},
		{"location changed", func(s []store.Session) { s[2].Location = "Dorchester library, meeting room 3" }, ImportResult{Moved: 1, Unchanged: 15}},
		{"time changed", func(s []store.Session) { s[3].Starts = s[3].Starts.Add(30 * time.Minute) }, ImportResult{Moved: 1, Unchanged: 15}},
		{"title and capacity changed", func(s []store.Session) { s[0].Title += " (again)"; s[1].Capacity = 40 }, ImportResult{Updated: 2, Unchanged: 14}},
	}
	for _, step := range steps {
		step.change(sessions)
		got, err := ImportTimetable(ctx, st, sessions, now, nil)
		if err != nil {
			t.Fatalf("%s: ImportTimetable error = %v", step.name, err)
		}
		if !reflect.DeepEqual(got, step.want) {
			t.Errorf("%s: ImportTimetable = %+v, want %+v", step.name, got, step.want)
		}
	}

	up, err := st.UpcomingSessions(ctx, now, "")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]store.Session{}
	for _, s := range up {
		byID[s.ID] = s.Session
	}
	for _, tt := range []struct {
		id       string
		location string
		sequence int
	}{
		{"bd-2027-01", "Online (Microsoft Teams)", 0},
		{"bd-2027-03", "Dorchester library, meeting room 3", 1}, // moved: SEQUENCE bumped
		{"bd-2027-04", "Online (Microsoft Teams)", 1},
	} {
		s := byID[tt.id]
		if s.Location != tt.location || s.Sequence != tt.sequence {
			t.Errorf("stored %s = location %q, sequence %d; want %q, %d", tt.id, s.Location, s.Sequence, tt.location, tt.sequence)
		}
	}
}

func TestLoadDemoTimetable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tz := ttLondon(t)
	now := ttUTC(2027, 5, 1, 12, 0)

	t.Run("empty database", func(t *testing.T) {
		st := recOpenStore(t)
		for i, want := range []bool{true, false} { // the second time it is not empty
			loaded, err := LoadDemoTimetable(ctx, st, tz, now)
			if loaded != want || err != nil {
				t.Errorf("LoadDemoTimetable #%d = %v, %v, want %v, nil", i+1, loaded, err, want)
			}
		}
		if n, err := st.CountSessions(ctx); n != 16 || err != nil {
			t.Errorf("CountSessions() = %d, %v, want 16, nil", n, err)
		}
	})
	t.Run("organiser's own timetable", func(t *testing.T) {
		st := recOpenStore(t)
		own := []store.Session{{
			ID: "own-1", Kind: "session", Title: "Our own", Starts: ttUTC(2027, 9, 1, 9, 0), Ends: ttUTC(2027, 9, 1, 10, 0),
			Capacity: 10, Location: "Town hall",
		}}
		if _, err := ImportTimetable(ctx, st, own, now, nil); err != nil {
			t.Fatal(err)
		}
		loaded, err := LoadDemoTimetable(ctx, st, tz, now)
		if loaded || err != nil {
			t.Errorf("LoadDemoTimetable(non-empty) = %v, %v, want false, nil", loaded, err)
		}
		if n, err := st.CountSessions(ctx); n != 1 || err != nil {
			t.Errorf("CountSessions() = %d, %v, want 1, nil", n, err)
		}
	})
}

// TestReadTimetableOptionalColumns: a timetable without the joining and
// status columns (every one made before them) imports with them empty,
// not filled from another column; with them, they are read.
func TestReadTimetableOptionalColumns(t *testing.T) {
	t.Parallel()
	old := "id,kind,title,starts,ends,capacity,location,description\n" +
		"s1,session,Walk,2027-07-20 10:00,2027-07-20 11:00,8,Online (Microsoft Teams),A walk\n"
	got, err := ReadTimetable(strings.NewReader(old), ttLondon(t))
	if err != nil || len(got) != 1 {
		t.Fatalf("ReadTimetable = %v, %v", got, err)
	}
	if got[0].Joining != "" || got[0].Withdrawn {
		t.Errorf("without the optional columns: joining %q, withdrawn %v; want empty and open", got[0].Joining, got[0].Withdrawn)
	}
	full := "id,kind,title,starts,ends,capacity,location,description,joining,status\n" +
		"s1,session,Walk,2027-07-20 10:00,2027-07-20 11:00,8,Online (Microsoft Teams),A walk,https://teams.example/j/1,cancelled\n"
	got, err = ReadTimetable(strings.NewReader(full), ttLondon(t))
	if err != nil || len(got) != 1 || got[0].Joining != "https://teams.example/j/1" || !got[0].Withdrawn {
		t.Errorf("with them: %+v, %v", got, err)
	}
}
