package mailbot

import (
	"slices"
	"strings"
	"testing"

	"github.com/betterdays/mailbot/store"
)

// TestResizeByReply: a reply to a confirmation that gives only a number
// of places changes the booking it replies to: up into free places, never
// past the queue, and down, which frees a place for whoever waits. From
// an address that proves nothing, it waits for their YES.
func TestResizeByReply(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.timetable("small,session,Small group,2027-07-20 10:00,2027-07-20 11:00,3,The library,\n")
	d.send(mary, "book", "book me on the small group please")
	conf := d.one(mary)
	conf.must(t, "You are booked on:")

	d.reply(mary, conf, "Can you change it to 2 places please, my husband is coming too")
	d.one(mary).must(t, "I have changed the number of places on your booking:", "Small group", "Places: 2")
	d.send(sam, "book", "book me on the small group please")
	d.one(sam).must(t, "You are booked on:")
	d.send(ann, "book", "book me on the small group please")
	d.one(ann).must(t, "waiting list")
	if got := d.bookings("small"); !slices.Equal(got, []string{mary + " confirmed 2", sam + " confirmed 1", ann + " waitlisted 1"}) {
		t.Fatalf("bookings = %q", got)
	}

	d.reply(mary, conf, "actually make that 3")
	d.one(mary).must(t, "there aren't enough places free to add more", "Places: 2")

	d.unproven(mary, "small group", "please change my booking on the small group to 1 place")
	d.one(mary).must(t, "please reply YES", "change to 1 place on")
	if got := d.bookings("small"); !slices.Equal(got, []string{mary + " confirmed 2", sam + " confirmed 1", ann + " waitlisted 1"}) {
		t.Fatalf("after an unproven request, bookings = %q; want them unchanged", got)
	}

	d.reply(mary, conf, "Just 1 place now please, he can't come after all")
	d.one(mary).must(t, "I have changed the number of places on your booking:", "Places: 1")
	d.one(ann).must(t, "a place has come free")
	if got := d.bookings("small"); !slices.Equal(got, []string{mary + " confirmed 1", sam + " confirmed 1", ann + " confirmed 1"}) {
		t.Errorf("after giving a place back, bookings = %q", got)
	}
}

// TestResizeKeepsNeeds: what someone says of access with a new number of
// places is kept with the booking, and shown back.
func TestResizeKeepsNeeds(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "book", "book me on Learning new skills please")
	conf := d.one(mary)
	d.reply(mary, conf, "Can we have 2 places please, my husband uses a wheelchair")
	d.one(mary).must(t, "I have changed the number of places on your booking:", "Places: 2", "wheelchair")
	var needs string
	if err := d.st.ExportBookings(ctxBg, "bd-2027-03", func(b store.Booking) error { needs = b.Needs; return nil }); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(needs, "wheelchair") {
		t.Errorf("needs kept %q, want the wheelchair", needs)
	}
}
