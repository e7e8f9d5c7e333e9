package desk

import (
	"testing"

	"github.com/betterdays/mailbot/store"
)

func TestEventTitle(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ title, want string }{
		{"Promoting independence", "Better Days: Promoting independence"},
		{"Better Days: what makes a good day?", "Better Days: what makes a good day?"},
		{"better days launch", "better days launch"},
		{"Better", "Better Days: Better"},
		{"", "Better Days: "},
	} {
		if got := eventTitle(tc.title); got != tc.want {
			t.Errorf("eventTitle(%q) = %q, want %q", tc.title, got, tc.want)
		}
	}
}

// TestBookingUID: bookings made before the database had its token keep
// the UIDs they were sent with; later ones carry the token; a UID is read
// back only when this database made it.
func TestBookingUID(t *testing.T) {
	t.Parallel()
	d := New(Env{Address: "betterdays@council.example", CalendarUIDs: store.CalendarUIDs{Token: "0123456789abcdef", FirstBooking: 42}})
	other := New(Env{Address: "betterdays@council.example", CalendarUIDs: store.CalendarUIDs{Token: "fedcba9876543210", FirstBooking: 1}})
	for _, tc := range []struct {
		id   int64
		want string
	}{
		{41, "booking-41@council.example"},
		{42, "booking-42.0123456789abcdef@council.example"},
		{1000, "booking-1000.0123456789abcdef@council.example"},
	} {
		uid := d.bookingUID(tc.id)
		if uid != tc.want {
			t.Errorf("bookingUID(%d) = %q, want %q", tc.id, uid, tc.want)
		}
		if got := d.bookingOfUID(uid); got != tc.id {
			t.Errorf("bookingOfUID(%q) = %d, want %d", uid, got, tc.id)
		}
		if got := other.bookingOfUID(uid); got != 0 {
			t.Errorf("another database reads %q as its booking %d", uid, got)
		}
	}
}
