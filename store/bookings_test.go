package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// bookT0 is a fixed "now" far from any daylight-saving change; sessions in
// these tests start a week or so after it.
var bookT0 = time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC)

// bookingsEnv is a real database with helpers that fail the test on error.
type bookingsEnv struct {
	t   *testing.T
	ctx context.Context
	s   *Store
}

func newBookingsEnv(t *testing.T) *bookingsEnv {
	t.Helper()
	return &bookingsEnv{t: t, ctx: context.Background(), s: openTest(t)}
}

func (e *bookingsEnv) write(fn func(*Tx) error) {
	e.t.Helper()
	if err := e.s.Write(e.ctx, fn); err != nil {
		e.t.Fatal(err)
	}
}

// session adds a one-hour group session.
func (e *bookingsEnv) session(id string, starts time.Time, capacity int) {
	e.t.Helper()
	e.write(func(tx *Tx) error {
		_, _, err := tx.UpsertSession(e.ctx, Session{ID: id, Kind: "session", Title: "Session " + id,
			Starts: starts, Ends: starts.Add(time.Hour), Capacity: capacity, Location: "Online"}, bookT0)
		return err
	})
}

func (e *bookingsEnv) person(email string) int64 {
	e.t.Helper()
	var id int64
	e.write(func(tx *Tx) (err error) { id, err = tx.NotePerson(e.ctx, email, "", bookT0); return err })
	return id
}

func (e *bookingsEnv) book(nb NewBooking, now time.Time) (Booking, BookResult) {
	e.t.Helper()
	if nb.Source == "" {
		nb.Source = "email"
	}
	var b Booking
	var res BookResult
	e.write(func(tx *Tx) (err error) { b, res, err = tx.Book(e.ctx, nb, now); return err })
	return b, res
}

func (e *bookingsEnv) cancel(id int64, now time.Time) (Booking, []Booking) {
	e.t.Helper()
	var b Booking
	var promoted []Booking
	e.write(func(tx *Tx) (err error) { b, promoted, err = tx.Cancel(e.ctx, id, now); return err })
	return b, promoted
}

func (e *bookingsEnv) booking(id int64) Booking {
	e.t.Helper()
	var b Booking
	e.write(func(tx *Tx) (err error) { b, err = tx.Booking(e.ctx, id); return err })
	return b
}

func (e *bookingsEnv) places(sessionID string) SessionPlaces {
	e.t.Helper()
	var sp SessionPlaces
	e.write(func(tx *Tx) (err error) { sp, err = tx.Session(e.ctx, sessionID); return err })
	return sp
}

// confirmedPlaces counts the confirmed places of a session straight from
// the table, not through the code under test.
func (e *bookingsEnv) confirmedPlaces(sessionID string) int {
	e.t.Helper()
	var n int
	if err := e.s.r.QueryRow(`SELECT coalesce(sum(places), 0) FROM bookings WHERE session_id = ? AND status = 'confirmed'`,
		sessionID).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// resultName names a BookResult in test messages.
func resultName(r BookResult) string {
	switch r {
	case Booked:
		return "Booked"
	case OnWaitingList:
		return "OnWaitingList"
	case AlreadyBooked:
		return "AlreadyBooked"
	case SessionStarted:
		return "SessionStarted"
	}
	return fmt.Sprintf("BookResult(%d)", int(r))
}

func emails(bs []Booking) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Email)
	}
	return out
}

func TestBookCapacity(t *testing.T) {
	t.Parallel()
	starts := bookT0.Add(7 * 24 * time.Hour)
	for _, tc := range []struct {
		name       string
		capacity   int
		places     []int // one request per person, in this order
		want       []BookResult
		wantLeft   int
		wantWait   int
		wantStatus []string
	}{
		{"fills then waits", 2, []int{1, 1, 1},
			[]BookResult{Booked, Booked, OnWaitingList}, 0, 1, []string{Confirmed, Confirmed, Waitlisted}},
		{"two places when one left", 3, []int{2, 2},
			[]BookResult{Booked, OnWaitingList}, 1, 1, []string{Confirmed, Waitlisted}},
		{"exact fit", 3, []int{1, 2},
			[]BookResult{Booked, Booked}, 0, 0, []string{Confirmed, Confirmed}},
		{"more than the session holds", 2, []int{3},
			[]BookResult{OnWaitingList}, 2, 1, []string{Waitlisted}},
		{"no places at all", 0, []int{1},
			[]BookResult{OnWaitingList}, 0, 1, []string{Waitlisted}},
		{"no queue jumping: one place free but someone waits", 3, []int{2, 2, 1},
			[]BookResult{Booked, OnWaitingList, OnWaitingList}, 1, 2, []string{Confirmed, Waitlisted, Waitlisted}},
		{"no queue jumping: many places free behind a big request", 10, []int{5, 6, 1, 1},
			[]BookResult{Booked, OnWaitingList, OnWaitingList, OnWaitingList}, 5, 3, []string{Confirmed, Waitlisted, Waitlisted, Waitlisted}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newBookingsEnv(t)
			e.session("s1", starts, tc.capacity)
			for i, n := range tc.places {
				email := fmt.Sprintf("p%d@example.org", i)
				pid := e.person(email)
				now := bookT0.Add(time.Duration(i) * time.Minute)
				b, res := e.book(NewBooking{SessionID: "s1", PersonID: pid, Places: n, Source: "staff", Phone: "01234 567890", Needs: "step-free"}, now)
				if res != tc.want[i] {
					t.Errorf("request %d (%d places): result %v, want %v", i, n, resultName(res), resultName(tc.want[i]))
				}
				if b.Status != tc.wantStatus[i] || b.Places != n || b.PersonID != pid || b.Email != email ||
					b.Session.ID != "s1" || !b.Session.Starts.Equal(starts) || b.Source != "staff" ||
					b.Phone != "01234 567890" || b.Needs != "step-free" || b.Sequence != 0 || !b.BookedAt.Equal(now) {
					t.Errorf("request %d: booking %+v, want %s for %d places by %s at %v", i, b, tc.wantStatus[i], n, email, now)
				}
				if got := e.confirmedPlaces("s1"); got > tc.capacity {
					t.Fatalf("after request %d: %d places confirmed, capacity %d", i, got, tc.capacity)
				}
			}
			if sp := e.places("s1"); sp.Left != tc.wantLeft || sp.Waiting != tc.wantWait {
				t.Errorf("places left %d, waiting %d; want %d, %d", sp.Left, sp.Waiting, tc.wantLeft, tc.wantWait)
			}
			list, err := e.s.UpcomingSessions(e.ctx, bookT0, "")
			if err != nil || len(list) != 1 || list[0].Left != tc.wantLeft || list[0].Waiting != tc.wantWait {
				t.Errorf("UpcomingSessions = %+v, %v; want left %d, waiting %d", list, err, tc.wantLeft, tc.wantWait)
			}
		})
	}
}

// TestBookNonPositivePlaces: a request for 0 places is stored as 1 place, so
// it must be counted as 1 against the places left.
func TestBookNonPositivePlaces(t *testing.T) {
	t.Parallel()
	for _, places := range []int{0, -1} {
		t.Run(fmt.Sprint(places), func(t *testing.T) {
			e := newBookingsEnv(t)
			e.session("s1", bookT0.Add(24*time.Hour), 1)
			e.book(NewBooking{SessionID: "s1", PersonID: e.person("a@example.org"), Places: 1}, bookT0)
			b, res := e.book(NewBooking{SessionID: "s1", PersonID: e.person("b@example.org"), Places: places}, bookT0)
			if res != OnWaitingList || b.Places != 1 {
				t.Errorf("Book(%d places) on a full session = %v, %d places; want OnWaitingList, 1 place", places, resultName(res), b.Places)
			}
			if got := e.confirmedPlaces("s1"); got > 1 {
				t.Errorf("%d places confirmed on a session of 1", got)
			}
		})
	}
}

func TestBookAlreadyBooked(t *testing.T) {
	t.Parallel()
	starts := bookT0.Add(7 * 24 * time.Hour)
	for _, tc := range []struct {
		name      string
		capacity  int
		firstWant BookResult
	}{
		{"confirmed", 5, Booked},
		{"waitlisted", 0, OnWaitingList},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newBookingsEnv(t)
			e.session("s1", starts, tc.capacity)
			ann := e.person("ann@example.org")
			first, res := e.book(NewBooking{SessionID: "s1", PersonID: ann, Places: 1}, bookT0)
			if res != tc.firstWant {
				t.Fatalf("first Book = %v, want %v", resultName(res), resultName(tc.firstWant))
			}
			again, res := e.book(NewBooking{SessionID: "s1", PersonID: ann, Places: 2, Phone: "999"}, bookT0.Add(time.Hour))
			if res != AlreadyBooked || again.ID != first.ID || again.Places != 1 || again.Status != first.Status || again.Phone != "" {
				t.Errorf("second Book = %v, %+v; want AlreadyBooked with the first booking unchanged (%+v)", resultName(res), again, first)
			}
			if got := e.booking(first.ID); got.Places != 1 || got.Phone != "" {
				t.Errorf("booking after second Book = %+v, want it unchanged", got)
			}

			// Once cancelled, they may book again, as a new booking.
			e.cancel(first.ID, bookT0.Add(2*time.Hour))
			again, res = e.book(NewBooking{SessionID: "s1", PersonID: ann, Places: 1}, bookT0.Add(3*time.Hour))
			if res != tc.firstWant || again.ID == first.ID {
				t.Errorf("Book after cancelling = %v, id %d; want %v as a new booking (old id %d)", resultName(res), again.ID, resultName(tc.firstWant), first.ID)
			}
			if got := e.booking(first.ID); got.Status != Cancelled {
				t.Errorf("old booking status %s, want cancelled", got.Status)
			}
		})
	}
}

func TestBookSessionStarted(t *testing.T) {
	t.Parallel()
	starts := bookT0.Add(24 * time.Hour)
	for _, tc := range []struct {
		name string
		now  time.Time
		want BookResult
	}{
		{"a millisecond before", starts.Add(-time.Millisecond), Booked},
		{"as it starts", starts, SessionStarted},
		{"while it runs", starts.Add(30 * time.Minute), SessionStarted},
		{"after it ended", starts.Add(48 * time.Hour), SessionStarted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newBookingsEnv(t)
			e.session("s1", starts, 10)
			b, res := e.book(NewBooking{SessionID: "s1", PersonID: e.person("ann@example.org"), Places: 1}, tc.now)
			if res != tc.want {
				t.Errorf("Book at %v = %v, want %v", tc.now, resultName(res), resultName(tc.want))
			}
			if b.Session.ID != "s1" {
				t.Errorf("Book returned session %q, want s1", b.Session.ID)
			}
			if res == SessionStarted {
				if b.ID != 0 {
					t.Errorf("Book of a started session returned booking id %d, want none", b.ID)
				}
				var n int
				e.s.r.QueryRow(`SELECT count(*) FROM bookings`).Scan(&n)
				if n != 0 {
					t.Errorf("%d bookings stored for a started session, want 0", n)
				}
			}
		})
	}
}

func TestBookUnknownSession(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	ann := e.person("ann@example.org")
	err := e.s.Write(e.ctx, func(tx *Tx) error {
		_, _, err := tx.Book(e.ctx, NewBooking{SessionID: "nope", PersonID: ann, Places: 1, Source: "email"}, bookT0)
		return err
	})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Book(unknown session) error = %v, want ErrNotFound", err)
	}
}

func TestCancelPromotes(t *testing.T) {
	t.Parallel()
	type req struct {
		who    string
		places int
	}
	type step struct {
		cancel       string
		wantPromoted []string
	}
	for _, tc := range []struct {
		name       string
		capacity   int
		reqs       []req // booked in this order, a minute apart
		steps      []step
		wantStatus map[string]string
	}{
		{
			name:     "first waiting promoted",
			capacity: 1,
			reqs:     []req{{"a", 1}, {"b", 1}, {"c", 1}},
			steps:    []step{{"a", []string{"b"}}},
			wantStatus: map[string]string{
				"a": Cancelled, "b": Confirmed, "c": Waitlisted,
			},
		},
		{
			name:     "two places freed, two promoted in turn",
			capacity: 2,
			reqs:     []req{{"a", 2}, {"b", 1}, {"c", 1}, {"d", 1}},
			steps:    []step{{"a", []string{"b", "c"}}},
			wantStatus: map[string]string{
				"a": Cancelled, "b": Confirmed, "c": Confirmed, "d": Waitlisted,
			},
		},
		{
			name:     "larger request skipped but keeps its turn",
			capacity: 3,
			reqs:     []req{{"a", 1}, {"x", 2}, {"b", 2}, {"c", 1}, {"d", 1}},
			steps: []step{
				{"a", []string{"c"}}, // 1 free: b (2) does not fit, c does
				{"x", []string{"b"}}, // 2 free: b first, ahead of d
			},
			wantStatus: map[string]string{
				"a": Cancelled, "x": Cancelled, "b": Confirmed, "c": Confirmed, "d": Waitlisted,
			},
		},
		{
			name:     "nobody fits",
			capacity: 2,
			reqs:     []req{{"a", 1}, {"x", 1}, {"b", 2}, {"c", 3}},
			steps:    []step{{"a", nil}},
			wantStatus: map[string]string{
				"a": Cancelled, "x": Confirmed, "b": Waitlisted, "c": Waitlisted,
			},
		},
		{
			name:     "cancelling a waiting booking frees nothing",
			capacity: 1,
			reqs:     []req{{"a", 1}, {"b", 1}, {"c", 1}},
			steps:    []step{{"b", nil}},
			wantStatus: map[string]string{
				"a": Confirmed, "b": Cancelled, "c": Waitlisted,
			},
		},
		{
			name:     "promotion fills exactly",
			capacity: 4,
			reqs:     []req{{"a", 3}, {"x", 1}, {"b", 2}, {"c", 1}, {"d", 1}},
			steps:    []step{{"a", []string{"b", "c"}}},
			wantStatus: map[string]string{
				"a": Cancelled, "x": Confirmed, "b": Confirmed, "c": Confirmed, "d": Waitlisted,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newBookingsEnv(t)
			e.session("s1", bookT0.Add(7*24*time.Hour), tc.capacity)
			ids := map[string]int64{}
			now := bookT0
			for _, r := range tc.reqs {
				now = now.Add(time.Minute)
				b, _ := e.book(NewBooking{SessionID: "s1", PersonID: e.person(r.who + "@example.org"), Places: r.places}, now)
				ids[r.who] = b.ID
			}
			for _, st := range tc.steps {
				now = now.Add(time.Minute)
				b, promoted := e.cancel(ids[st.cancel], now)
				if b.Status != Cancelled || b.ID != ids[st.cancel] {
					t.Errorf("Cancel(%s) returned %+v, want it cancelled", st.cancel, b)
				}
				var want []string
				for _, w := range st.wantPromoted {
					want = append(want, w+"@example.org")
				}
				if got := emails(promoted); !slices.Equal(got, want) {
					t.Errorf("Cancel(%s) promoted %v, want %v", st.cancel, got, want)
				}
				for _, p := range promoted {
					if p.Status != Confirmed {
						t.Errorf("promoted booking %s has status %s, want confirmed", p.Email, p.Status)
					}
				}
				if got := e.confirmedPlaces("s1"); got > tc.capacity {
					t.Errorf("after cancelling %s: %d places confirmed, capacity %d", st.cancel, got, tc.capacity)
				}
			}
			for who, want := range tc.wantStatus {
				if got := e.booking(ids[who]).Status; got != want {
					t.Errorf("%s: status %s, want %s", who, got, want)
				}
			}
		})
	}
}

func TestCancelTwiceIsNoop(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	e.session("s1", bookT0.Add(24*time.Hour), 1)
	a, _ := e.book(NewBooking{SessionID: "s1", PersonID: e.person("a@example.org"), Places: 1}, bookT0)
	b, _ := e.book(NewBooking{SessionID: "s1", PersonID: e.person("b@example.org"), Places: 1}, bookT0)
	c, _ := e.book(NewBooking{SessionID: "s1", PersonID: e.person("c@example.org"), Places: 1}, bookT0)

	first, promoted := e.cancel(a.ID, bookT0.Add(time.Minute))
	if first.Sequence != 1 || len(promoted) != 1 || promoted[0].ID != b.ID {
		t.Fatalf("first Cancel = seq %d, promoted %v; want seq 1, b promoted", first.Sequence, emails(promoted))
	}
	second, promoted := e.cancel(a.ID, bookT0.Add(2*time.Minute))
	if second.Status != Cancelled || second.Sequence != 1 || len(promoted) != 0 {
		t.Errorf("second Cancel = %s seq %d, promoted %v; want cancelled, seq 1, nobody promoted", second.Status, second.Sequence, emails(promoted))
	}
	if got := e.booking(a.ID).Sequence; got != 1 {
		t.Errorf("sequence after cancelling twice = %d, want 1", got)
	}
	if got := e.booking(c.ID).Status; got != Waitlisted {
		t.Errorf("c after a second cancel: %s, want waitlisted", got)
	}
}

func TestCancelStartedSessionPromotesNobody(t *testing.T) {
	t.Parallel()
	starts := bookT0.Add(24 * time.Hour)
	for _, at := range []time.Duration{0, 30 * time.Minute, 3 * time.Hour} {
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			e := newBookingsEnv(t)
			e.session("s1", starts, 1)
			a, _ := e.book(NewBooking{SessionID: "s1", PersonID: e.person("a@example.org"), Places: 1}, bookT0)
			b, _ := e.book(NewBooking{SessionID: "s1", PersonID: e.person("b@example.org"), Places: 1}, bookT0)
			got, promoted := e.cancel(a.ID, starts.Add(at))
			if got.Status != Cancelled || len(promoted) != 0 {
				t.Errorf("Cancel at start+%v = %s, promoted %v; want cancelled, nobody promoted", at, got.Status, emails(promoted))
			}
			if st := e.booking(b.ID).Status; st != Waitlisted {
				t.Errorf("waiting booking is %s, want still waitlisted", st)
			}
		})
	}
}

func TestCancelUnknown(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	err := e.s.Write(e.ctx, func(tx *Tx) error { _, _, err := tx.Cancel(e.ctx, 42, bookT0); return err })
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Cancel(42) error = %v, want ErrNotFound", err)
	}
}

func TestBumpSequenceAndCancel(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	e.session("s1", bookT0.Add(24*time.Hour), 5)
	a, _ := e.book(NewBooking{SessionID: "s1", PersonID: e.person("a@example.org"), Places: 1}, bookT0)
	other, _ := e.book(NewBooking{SessionID: "s1", PersonID: e.person("b@example.org"), Places: 1}, bookT0)
	if a.Sequence != 0 {
		t.Fatalf("new booking sequence %d, want 0", a.Sequence)
	}
	for want := 1; want <= 3; want++ {
		var seq int
		e.write(func(tx *Tx) (err error) { seq, err = tx.BumpSequence(e.ctx, a.ID); return err })
		if seq != want {
			t.Errorf("BumpSequence = %d, want %d", seq, want)
		}
	}
	if got := e.booking(a.ID).Sequence; got != 3 {
		t.Errorf("stored sequence %d, want 3", got)
	}
	b, _ := e.cancel(a.ID, bookT0.Add(time.Hour))
	if b.Sequence != 4 || e.booking(a.ID).Sequence != 4 {
		t.Errorf("sequence after Cancel: returned %d, stored %d; want 4", b.Sequence, e.booking(a.ID).Sequence)
	}
	if got := e.booking(other.ID).Sequence; got != 0 {
		t.Errorf("another booking's sequence = %d, want 0", got)
	}
	// A rolled-back bump leaves no trace.
	e.s.Write(e.ctx, func(tx *Tx) error {
		tx.BumpSequence(e.ctx, other.ID)
		return errors.New("roll back")
	})
	if got := e.booking(other.ID).Sequence; got != 0 {
		t.Errorf("sequence after a rolled-back bump = %d, want 0", got)
	}
}

func TestBumpSequenceUnknown(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	err := e.s.Write(e.ctx, func(tx *Tx) error { _, err := tx.BumpSequence(e.ctx, 42); return err })
	if err == nil {
		t.Fatal("BumpSequence(42) of no booking succeeded")
	}
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("BumpSequence of a missing booking: %v, want ErrNotFound", err)
	}
}

func TestLiveBookings(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	ann, bob := e.person("ann@example.org"), e.person("bob@example.org")
	now := bookT0.Add(10 * 24 * time.Hour)
	e.session("past", now.Add(-24*time.Hour), 5)
	e.session("now", now, 5)
	e.session("later", now.Add(72*time.Hour), 5)
	e.session("soon", now.Add(time.Hour), 5)
	e.session("full", now.Add(48*time.Hour), 0)
	e.session("dropped", now.Add(24*time.Hour), 5)
	e.session("bobs", now.Add(2*time.Hour), 5)
	for _, id := range []string{"past", "now", "later", "soon", "full", "dropped"} {
		e.book(NewBooking{SessionID: id, PersonID: ann, Places: 1}, bookT0)
	}
	e.book(NewBooking{SessionID: "bobs", PersonID: bob, Places: 1}, bookT0)
	var dropped int64
	e.write(func(tx *Tx) error {
		return tx.tx.QueryRow(`SELECT id FROM bookings WHERE session_id = 'dropped'`).Scan(&dropped)
	})
	e.cancel(dropped, bookT0.Add(time.Hour))

	var got []Booking
	e.write(func(tx *Tx) (err error) { got, err = tx.LiveBookings(e.ctx, ann, now); return err })
	var ids, statuses []string
	for _, b := range got {
		ids = append(ids, b.Session.ID)
		statuses = append(statuses, b.Status)
		if b.PersonID != ann {
			t.Errorf("LiveBookings(ann) returned %s's booking", b.Email)
		}
	}
	if want := []string{"soon", "full", "later"}; !slices.Equal(ids, want) {
		t.Errorf("LiveBookings sessions = %v, want %v", ids, want)
	}
	if want := []string{Confirmed, Waitlisted, Confirmed}; !slices.Equal(statuses, want) {
		t.Errorf("LiveBookings statuses = %v, want %v", statuses, want)
	}
	cy := e.person("cy@example.org")
	e.write(func(tx *Tx) (err error) { got, err = tx.LiveBookings(e.ctx, cy, now); return err })
	if len(got) != 0 {
		t.Errorf("LiveBookings of someone with none = %v", got)
	}
}

func TestSessionBookingsOrder(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	e.session("s1", bookT0.Add(7*24*time.Hour), 2)
	e.session("s2", bookT0.Add(7*24*time.Hour), 5)
	ids := map[string]int64{}
	for i, r := range []struct {
		who    string
		places int
	}{{"a", 1}, {"b", 1}, {"c", 2}, {"d", 1}} {
		b, _ := e.book(NewBooking{SessionID: "s1", PersonID: e.person(r.who + "@example.org"), Places: r.places}, bookT0.Add(time.Duration(i)*time.Minute))
		ids[r.who] = b.ID
	}
	e.book(NewBooking{SessionID: "s2", PersonID: e.person("z@example.org"), Places: 1}, bookT0)
	// a cancels: c (2 places) does not fit, d is promoted; c waits, booked before d.
	e.cancel(ids["a"], bookT0.Add(10*time.Minute))
	e.book(NewBooking{SessionID: "s1", PersonID: e.person("e@example.org"), Places: 1}, bookT0.Add(11*time.Minute))

	var got []Booking
	e.write(func(tx *Tx) (err error) { got, err = tx.SessionBookings(e.ctx, "s1"); return err })
	want := []string{"b@example.org", "d@example.org", "c@example.org", "e@example.org"}
	if !slices.Equal(emails(got), want) {
		t.Errorf("SessionBookings = %v, want %v", emails(got), want)
	}
	var statuses []string
	for _, b := range got {
		statuses = append(statuses, b.Status)
	}
	if want := []string{Confirmed, Confirmed, Waitlisted, Waitlisted}; !slices.Equal(statuses, want) {
		t.Errorf("statuses = %v, want %v", statuses, want)
	}
	e.write(func(tx *Tx) (err error) { got, err = tx.SessionBookings(e.ctx, "nope"); return err })
	if len(got) != 0 {
		t.Errorf("SessionBookings(unknown) = %v, want none", emails(got))
	}
}

func TestExportBookings(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	day := 24 * time.Hour
	// Session order is by start, then id: "b" and "c" start together.
	e.session("c", bookT0.Add(2*day), 5)
	e.session("a", bookT0.Add(3*day), 1)
	e.session("b", bookT0.Add(2*day), 5)
	e.session("empty", bookT0.Add(day), 5)
	type row struct{ session, who string }
	for i, r := range []row{
		{"a", "p1"}, {"c", "p2"}, {"b", "p3"}, {"a", "p4"}, {"c", "p1"}, {"b", "p2"}, {"a", "p5"},
	} {
		e.book(NewBooking{SessionID: r.session, PersonID: e.person(r.who + "@example.org"), Places: 1}, bookT0.Add(time.Duration(i)*time.Minute))
	}
	// Cancelled bookings are exported too: it is every booking.
	var p2c int64
	e.write(func(tx *Tx) error {
		return tx.tx.QueryRow(`SELECT b.id FROM bookings b JOIN people p ON p.id = b.person_id WHERE b.session_id = 'c' AND p.email = 'p2@example.org'`).Scan(&p2c)
	})
	e.cancel(p2c, bookT0.Add(time.Hour))

	collect := func(sessionID string) []row {
		t.Helper()
		var out []row
		err := e.s.ExportBookings(e.ctx, sessionID, func(b Booking) error {
			out = append(out, row{b.Session.ID, b.Email[:len(b.Email)-len("@example.org")]})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, tc := range []struct {
		session string
		want    []row
	}{
		{"", []row{{"b", "p3"}, {"b", "p2"}, {"c", "p2"}, {"c", "p1"}, {"a", "p1"}, {"a", "p4"}, {"a", "p5"}}},
		{"a", []row{{"a", "p1"}, {"a", "p4"}, {"a", "p5"}}},
		{"c", []row{{"c", "p2"}, {"c", "p1"}}},
		{"empty", nil},
		{"nope", nil},
	} {
		if got := collect(tc.session); !slices.Equal(got, tc.want) {
			t.Errorf("ExportBookings(%q) = %v, want %v", tc.session, got, tc.want)
		}
	}

	errStop := errors.New("stop")
	calls := 0
	err := e.s.ExportBookings(e.ctx, "", func(Booking) error {
		calls++
		if calls == 2 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) || calls != 2 {
		t.Errorf("ExportBookings with fn failing on the 2nd = %v after %d calls; want errStop after 2", err, calls)
	}
}

var reminderLeads = []time.Duration{48 * time.Hour, 2 * time.Hour}

func (e *bookingsEnv) dueReminders(now time.Time, limit int) []Reminder {
	e.t.Helper()
	var rs []Reminder
	e.write(func(tx *Tx) (err error) { rs, err = tx.DueReminders(e.ctx, now, reminderLeads, limit); return err })
	return rs
}

func (e *bookingsEnv) markReminded(id int64, lead time.Duration, now time.Time) {
	e.t.Helper()
	e.write(func(tx *Tx) error { return tx.MarkReminded(e.ctx, id, reminderLeads, lead, now) })
}

func (e *bookingsEnv) remindersRecorded(id int64) []time.Duration {
	e.t.Helper()
	rows, err := e.s.r.Query(`SELECT lead_ms FROM reminders WHERE booking_id = ? ORDER BY lead_ms`, id)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []time.Duration
	for rows.Next() {
		var ms int64
		if err := rows.Scan(&ms); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, time.Duration(ms)*time.Millisecond)
	}
	return out
}

// TestDueReminders walks one booking towards its session, asking what is
// due at each moment and marking what is sent, as the reminder loop does.
func TestDueReminders(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	type check struct {
		before time.Duration // how long before the start we look
		want   time.Duration // the lead due then; 0 for none
	}
	for _, tc := range []struct {
		name         string
		bookedBefore time.Duration
		checks       []check
		wantRecorded []time.Duration
	}{
		{"booked a week before", 7 * day, []check{
			{49 * time.Hour, 0},
			{48 * time.Hour, 48 * time.Hour},
			{47 * time.Hour, 0}, // sent already
			{3 * time.Hour, 0},
			{2 * time.Hour, 2 * time.Hour},
			{time.Hour, 0},
			{time.Millisecond, 0},
		}, []time.Duration{2 * time.Hour, 48 * time.Hour}},
		{"booked a week before, first looked at 47h", 7 * day, []check{
			{47 * time.Hour, 48 * time.Hour},
			{90 * time.Minute, 2 * time.Hour},
			{80 * time.Minute, 0},
		}, []time.Duration{2 * time.Hour, 48 * time.Hour}},
		{"booked a day before", day, []check{
			{23 * time.Hour, 0},
			{3 * time.Hour, 0},
			{time.Hour, 2 * time.Hour},
			{30 * time.Minute, 0},
		}, []time.Duration{2 * time.Hour, 48 * time.Hour}},
		{"booked an hour before", time.Hour, []check{
			{59 * time.Minute, 0},
			{time.Minute, 0},
		}, nil},
		{"bot down until 1h before: only the 2h one", 7 * day, []check{
			{time.Hour, 2 * time.Hour},
			{59 * time.Minute, 0},
			{time.Minute, 0},
		}, []time.Duration{2 * time.Hour, 48 * time.Hour}},
		{"bot down until the start", 7 * day, []check{
			{0, 0},
			{-time.Minute, 0},
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newBookingsEnv(t)
			starts := bookT0.Add(30 * day)
			e.session("s1", starts, 5)
			b, res := e.book(NewBooking{SessionID: "s1", PersonID: e.person("ann@example.org"), Places: 1}, starts.Add(-tc.bookedBefore))
			if res != Booked {
				t.Fatalf("Book = %v", resultName(res))
			}
			for _, c := range tc.checks {
				now := starts.Add(-c.before)
				rs := e.dueReminders(now, 10)
				var got time.Duration
				switch len(rs) {
				case 0:
				case 1:
					got = rs[0].Lead
					if rs[0].Booking.ID != b.ID || rs[0].Booking.Email != "ann@example.org" || rs[0].Booking.Session.ID != "s1" {
						t.Errorf("%v before: reminder for %+v, want ann's booking", c.before, rs[0].Booking)
					}
					e.markReminded(rs[0].Booking.ID, rs[0].Lead, now)
				default:
					t.Errorf("%v before: %d reminders %+v, want at most one", c.before, len(rs), rs)
					continue
				}
				if got != c.want {
					t.Errorf("%v before: reminder lead %v, want %v", c.before, got, c.want)
				}
			}
			if got := e.remindersRecorded(b.ID); !slices.Equal(got, tc.wantRecorded) {
				t.Errorf("reminders recorded %v, want %v", got, tc.wantRecorded)
			}
		})
	}
}

// TestDueRemindersShorterSent: once a shorter reminder went, no longer one
// is owed, even if it was not recorded (the leads were configured
// differently when the shorter one was sent).
func TestDueRemindersShorterSent(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	starts := bookT0.Add(30 * 24 * time.Hour)
	e.session("s1", starts, 5)
	b, _ := e.book(NewBooking{SessionID: "s1", PersonID: e.person("ann@example.org"), Places: 1}, bookT0)
	e.write(func(tx *Tx) error {
		return tx.MarkReminded(e.ctx, b.ID, []time.Duration{2 * time.Hour}, 2*time.Hour, starts.Add(-90*time.Minute))
	})
	if rs := e.dueReminders(starts.Add(-time.Hour), 10); len(rs) != 0 {
		t.Errorf("DueReminders after the 2h one was sent = %+v, want none", rs)
	}
}

func TestDueRemindersOnlyConfirmedUpcoming(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	starts := bookT0.Add(7 * 24 * time.Hour)
	e.session("s1", starts, 1)
	e.session("started", starts.Add(-2*time.Hour), 5)
	conf, _ := e.book(NewBooking{SessionID: "s1", PersonID: e.person("conf@example.org"), Places: 1}, bookT0)
	e.book(NewBooking{SessionID: "s1", PersonID: e.person("wait@example.org"), Places: 1}, bookT0)
	gone, _ := e.book(NewBooking{SessionID: "started", PersonID: e.person("gone@example.org"), Places: 1}, bookT0)
	e.book(NewBooking{SessionID: "started", PersonID: e.person("late@example.org"), Places: 1}, bookT0)
	e.cancel(gone.ID, bookT0.Add(time.Hour))

	for _, tc := range []struct {
		before time.Duration
		want   []string
	}{
		{47 * time.Hour, []string{"late@example.org", "conf@example.org"}}, // both within 48h, soonest first
		{time.Hour, []string{"conf@example.org"}},                          // "started" has started
	} {
		now := starts.Add(-tc.before)
		var got []string
		for _, r := range e.dueReminders(now, 10) {
			got = append(got, r.Booking.Email)
			if r.Booking.Status != Confirmed {
				t.Errorf("reminder for a %s booking", r.Booking.Status)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v before s1: reminders for %v, want %v", tc.before, got, tc.want)
		}
	}
	// Cancelled after the 48h reminder: no 2h one.
	e.markReminded(conf.ID, 48*time.Hour, starts.Add(-47*time.Hour))
	_, promoted := e.cancel(conf.ID, starts.Add(-3*time.Hour))
	if len(promoted) != 1 {
		t.Fatalf("promoted %v, want wait@example.org", emails(promoted))
	}
	// wait@ was booked a week before and promoted 3h before: the 2h reminder is theirs.
	got := e.dueReminders(starts.Add(-time.Hour), 10)
	if len(got) != 1 || got[0].Booking.Email != "wait@example.org" || got[0].Lead != 2*time.Hour {
		t.Errorf("after cancel and promotion: %+v, want only wait@'s 2h reminder", got)
	}
}

func TestDueRemindersLimit(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	now := bookT0.Add(30 * 24 * time.Hour)
	// Five sessions starting within the hour, booked a day before each.
	for i := 5; i >= 1; i-- {
		id := fmt.Sprintf("s%d", i)
		starts := now.Add(time.Duration(i) * 10 * time.Minute)
		e.session(id, starts, 5)
		e.book(NewBooking{SessionID: id, PersonID: e.person(id + "@example.org"), Places: 1}, starts.Add(-24*time.Hour))
	}
	var sent []string
	for _, want := range [][]string{{"s1", "s2", "s3"}, {"s4", "s5"}, nil} {
		rs := e.dueReminders(now, 3)
		var got []string
		for _, r := range rs {
			got = append(got, r.Booking.Session.ID)
			sent = append(sent, r.Booking.Session.ID)
			e.markReminded(r.Booking.ID, r.Lead, now)
		}
		if !slices.Equal(got, want) {
			t.Errorf("DueReminders(limit 3) = %v, want %v", got, want)
		}
	}
	if len(sent) != 5 {
		t.Errorf("reminders sent %v, want each of 5 once", sent)
	}
}

// TestDueRemindersLimitMixedLeads: the limit is for the whole call, and a
// booking owed the 2h reminder is never handed out with the 48h lead
// because the 2h query was cut short by the limit.
func TestDueRemindersLimitMixedLeads(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	now := bookT0.Add(30 * 24 * time.Hour)
	e.session("soon", now.Add(30*time.Minute), 5)
	e.session("hour", now.Add(time.Hour), 5)
	e.book(NewBooking{SessionID: "soon", PersonID: e.person("a@example.org"), Places: 1}, now.Add(-24*time.Hour)) // only the 2h is owed
	b, _ := e.book(NewBooking{SessionID: "hour", PersonID: e.person("b@example.org"), Places: 1}, now.Add(-7*24*time.Hour))
	rs := e.dueReminders(now, 1)
	var bad []string
	if len(rs) > 1 {
		bad = append(bad, fmt.Sprintf("%d reminders with limit 1", len(rs)))
	}
	for _, r := range rs {
		if r.Booking.ID == b.ID && r.Lead != 2*time.Hour {
			bad = append(bad, fmt.Sprintf("b's session starts in 1h but it was given the %v reminder", r.Lead))
		}
	}
	if len(bad) > 0 {
		t.Errorf("DueReminders with limit 1 returned %v: %v", rs, bad)
	}
}

// TestConcurrentBooking books from many goroutines at once, each in its own
// write transaction, on a real database file.
func TestConcurrentBooking(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		n        int
		capacity int
		places   func(i int) int
	}{
		{"200 for 20 places", 200, 20, func(int) int { return 1 }},
		{"mixed sizes", 120, 20, func(i int) int { return 1 + i%3 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, err := Open(ctx, filepath.Join(t.TempDir(), "concurrent.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			starts := bookT0.Add(7 * 24 * time.Hour)
			err = s.Write(ctx, func(tx *Tx) error {
				_, _, err := tx.UpsertSession(ctx, Session{ID: "s1", Kind: "session", Title: "Busy", Starts: starts, Ends: starts.Add(time.Hour), Capacity: tc.capacity}, bookT0)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}

			var (
				mu      sync.Mutex
				results = map[string]int{}
				booked  int
				wg      sync.WaitGroup
				start   = make(chan struct{})
			)
			for i := range tc.n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					var res BookResult
					var b Booking
					err := s.Write(ctx, func(tx *Tx) error {
						pid, err := tx.NotePerson(ctx, fmt.Sprintf("p%03d@example.org", i), "", bookT0)
						if err != nil {
							return err
						}
						b, res, err = tx.Book(ctx, NewBooking{SessionID: "s1", PersonID: pid, Places: tc.places(i), Source: "email"}, bookT0)
						return err
					})
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						t.Errorf("person %d: %v", i, err)
						return
					}
					results[resultName(res)]++
					if res == Booked {
						booked += b.Places
					}
				}()
			}
			close(start)
			wg.Wait()

			if results["AlreadyBooked"] != 0 || results["SessionStarted"] != 0 || results["Booked"]+results["OnWaitingList"] != tc.n {
				t.Errorf("results %v, want only Booked and OnWaitingList, %d in all", results, tc.n)
			}
			var confirmed, waiting, rows int
			if err := s.r.QueryRow(`SELECT coalesce(sum(places) FILTER (WHERE status = 'confirmed'), 0),
				count(*) FILTER (WHERE status = 'waitlisted'), count(*) FROM bookings WHERE session_id = 's1'`).
				Scan(&confirmed, &waiting, &rows); err != nil {
				t.Fatal(err)
			}
			if confirmed > tc.capacity || confirmed != booked || rows != tc.n || waiting != results["OnWaitingList"] {
				t.Errorf("in the database: %d places confirmed, %d waiting, %d rows; want ≤ %d confirmed (%d reported), %d waiting, %d rows",
					confirmed, waiting, rows, tc.capacity, booked, results["OnWaitingList"], tc.n)
			}
			if tc.n == 200 && tc.capacity == 20 {
				if results["Booked"] != 20 || results["OnWaitingList"] != 180 || confirmed != 20 {
					t.Errorf("%d Booked, %d OnWaitingList, %d places confirmed; want 20, 180, 20", results["Booked"], results["OnWaitingList"], confirmed)
				}
			}
			// No queue jumping: every confirmed booking was made before every waiting one.
			var jumped int
			if err := s.r.QueryRow(`SELECT count(*) FROM bookings c JOIN bookings w
				ON c.session_id = w.session_id AND c.status = 'confirmed' AND w.status = 'waitlisted' AND c.id > w.id`).Scan(&jumped); err != nil {
				t.Fatal(err)
			}
			if jumped != 0 {
				t.Errorf("%d confirmed bookings were made after a waiting one", jumped)
			}
			if err := s.IntegrityCheck(ctx); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestResize: a booking grows only into free places nobody waits for,
// shrinking one frees places for the waiting list, and a waiting booking
// waits for its new number.
func TestResize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		capacity     int
		reqs         []int // places booked in this order: a, b, c…
		who          int   // whose booking is resized
		places       int
		want         BookResult
		wantPlaces   int
		wantPromoted int // how many the resize confirmed from the waiting list
	}{
		{"grows into free places", 4, []int{1}, 0, 3, Resized, 3, 0},
		{"no room to grow", 3, []int{1, 2}, 0, 2, NoRoom, 1, 0},
		{"nobody jumps the queue", 2, []int{1, 1, 1}, 0, 2, NoRoom, 1, 0},
		{"shrinking frees a place for the next", 2, []int{2, 1}, 0, 1, Resized, 1, 1},
		{"the same number changes nothing", 4, []int{2}, 0, 2, AlreadyBooked, 2, 0},
		{"waiting for more", 1, []int{1, 1}, 1, 3, Resized, 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newBookingsEnv(t)
			starts := bookT0.Add(7 * 24 * time.Hour)
			e.session("s", starts, tc.capacity)
			var ids []int64
			for i, n := range tc.reqs {
				b, _ := e.book(NewBooking{SessionID: "s", PersonID: e.person(fmt.Sprintf("%c@example.org", 'a'+i)), Places: n},
					bookT0.Add(time.Duration(i)*time.Minute))
				ids = append(ids, b.ID)
			}
			var b Booking
			var res BookResult
			var promoted []Booking
			e.write(func(tx *Tx) (err error) {
				b, res, promoted, err = tx.Resize(e.ctx, ids[tc.who], tc.places, bookT0.Add(time.Hour))
				return err
			})
			if res != tc.want || b.Places != tc.wantPlaces || len(promoted) != tc.wantPromoted {
				t.Errorf("Resize = %d places, result %v, %d promoted; want %d, %v, %d", b.Places, res, len(promoted), tc.wantPlaces, tc.want, tc.wantPromoted)
			}
			if got := e.booking(ids[tc.who]).Places; got != tc.wantPlaces {
				t.Errorf("stored places %d, want %d", got, tc.wantPlaces)
			}
		})
	}
}

// TestAddDetails: a phone and needs given after booking are kept with it;
// a need it holds already is not written twice.
func TestAddDetails(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	e.session("s1", bookT0.Add(48*time.Hour), 10)
	b, _ := e.book(NewBooking{SessionID: "s1", PersonID: e.person("a@example.org"), Places: 1, Source: "email", Needs: "Step-free access"}, bookT0)
	var got Booking
	e.write(func(tx *Tx) (err error) {
		if _, err = tx.AddDetails(context.Background(), b.ID, "", []string{"step-free access", "a wheelchair"}, bookT0); err != nil {
			return err
		}
		got, err = tx.AddDetails(context.Background(), b.ID, "07700 900123", nil, bookT0)
		return err
	})
	if got.Needs != "Step-free access; a wheelchair" || got.Phone != "07700 900123" {
		t.Errorf("returned needs %q, phone %q", got.Needs, got.Phone)
	}
	if kept := e.booking(b.ID); kept.Needs != got.Needs || kept.Phone != got.Phone {
		t.Errorf("stored needs %q, phone %q; want %q, %q", kept.Needs, kept.Phone, got.Needs, got.Phone)
	}
}
