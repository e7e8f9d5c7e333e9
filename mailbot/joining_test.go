package mailbot

import (
	"context"
	"strings"
	"testing"
	"time"
)

const joiningHeader = "id,kind,title,starts,ends,capacity,location,description,joining\n"

// importCSV imports a whole timetable file, header and all, as the
// command does.
func (d *rig) importCSV(csv string) ImportResult {
	d.t.Helper()
	sessions, err := ReadTimetable(strings.NewReader(csv), d.bot.cfg.TZ)
	if err != nil {
		d.t.Fatal(err)
	}
	res, err := ImportTimetable(context.Background(), d.st, sessions, d.clock.Now(), d.bot)
	if err != nil {
		d.t.Fatal(err)
	}
	return res
}

// TestJoiningDetails follows one online session's joining details through
// every message someone uses to get in: the confirmation (with the
// description), the calendar invite, the news when the link comes later,
// a promotion from the waiting list, and the reminder.
func TestJoiningDetails(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	const link = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NjA2?context=%7b%22Tid%22%7d"
	d.importCSV(joiningHeader +
		"chat,session,Gardening chat,2027-06-25 10:00,2027-06-25 11:00,1,Online (Microsoft Teams),Seeds and swaps.,\n")

	// No link yet: the confirmation says when it will come.
	d.send(mary, "book", "book the gardening chat")
	conf := d.one(mary)
	conf.must(t, "About:  Seeds and swaps.", "To join: we will email you the link before the day.")
	ev := conf.Invites[0].Obj.Events[0]
	if ev.URL != "" || !strings.Contains(ev.Description, "We will email you the link") {
		t.Errorf("invite before the link: URL %q, DESCRIPTION %q", ev.URL, ev.Description)
	}
	d.send(sam, "book", "book the gardening chat")
	d.one(sam).must(t, "waiting list")

	// The organiser adds the link: everyone booked hears, with it.
	res := d.importCSV(joiningHeader +
		"chat,session,Gardening chat,2027-06-25 10:00,2027-06-25 11:00,1,Online (Microsoft Teams),Seeds and swaps.,\"" + link + "\nMeeting ID: 345 678 901\nPasscode: Xy7kP2\"\n")
	if res.Moved != 1 {
		t.Errorf("import of the link: %+v, want 1 moved", res)
	}
	news := d.one(mary)
	news.must(t, "How to join was: not sent yet", "How to join now: "+link+", Meeting ID: 345 678 901", "    Passcode: Xy7kP2")
	news.mustNot(t, "will email you the link")
	if len(news.Invites) != 1 {
		t.Fatalf("the news of the link has %d invites, want 1", len(news.Invites))
	}
	up := news.Invites[0].Obj.Events[0]
	if up.UID != ev.UID || up.Sequence <= ev.Sequence {
		t.Errorf("update UID %q SEQUENCE %d, first %q %d", up.UID, up.Sequence, ev.UID, ev.Sequence)
	}
	if up.URL != link || !strings.Contains(up.Location, link) || !strings.Contains(up.Description, "Passcode: Xy7kP2") {
		t.Errorf("updated invite: URL %q, LOCATION %q, DESCRIPTION %q", up.URL, up.Location, up.Description)
	}
	d.one(sam).must(t, "How to join now: "+link, "still number 1 on the waiting list")

	// The same file again tells nobody.
	d.importCSV(joiningHeader +
		"chat,session,Gardening chat,2027-06-25 10:00,2027-06-25 11:00,1,Online (Microsoft Teams),Seeds and swaps.,\"" + link + "\nMeeting ID: 345 678 901\nPasscode: Xy7kP2\"\n")
	if got := len(d.mail(mary)) + len(d.mail(sam)); got != 0 {
		t.Errorf("importing the same joining details again sent %d messages", got)
	}

	// Mary steps aside: Sam's promotion carries the link.
	d.reply(mary, news, "cancel")
	d.one(mary).must(t, "I have cancelled")
	prom := d.one(sam)
	prom.must(t, "a place has come free", link, "Passcode: Xy7kP2")
	if got := prom.Invites[0].Obj.Events[0].URL; got != link {
		t.Errorf("promotion invite URL %q, want %q", got, link)
	}

	// And so does the reminder two hours before.
	d.clock.Set(time.Date(2027, 6, 25, 8, 30, 0, 0, deskNow.Location()))
	if _, err := d.bot.SendReminders(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.one(sam).must(t, "A reminder", link, "Meeting ID: 345 678 901", "Passcode: Xy7kP2")
}

// TestChangeSaysWasAndNow: a change email says what the session was and
// what it is now, and loudly when it stopped being online.
func TestChangeSaysWasAndNow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		row      string
		want     []string
		dontWant []string
	}{
		{"online to a venue, later",
			"bd-2027-04,session,Giving my carers a break and doing what I want to do,2027-07-15 14:00,2027-07-15 15:00,20,\"Dorchester library, meeting room 2\",,",
			[]string{"It is now in person, not online.",
				"When was: Thursday 15 July 2027, 1pm to 2pm", "When now: Thursday 15 July 2027, 2pm to 3pm",
				"Where was: Online (Microsoft Teams)", "Where now: Dorchester library, meeting room 2"},
			[]string{"How to join", "will email you the link"}},
		{"same place, later",
			"bd-2027-04,session,Giving my carers a break and doing what I want to do,2027-07-15 13:30,2027-07-15 14:30,20,Online (Microsoft Teams),,",
			[]string{"When was: Thursday 15 July 2027, 1pm to 2pm", "When now: Thursday 15 July 2027, 1:30pm to 2:30pm",
				"To join: we will email you the link before the day."},
			[]string{"Where was", "It is now"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDesk(t, nil)
			d.send(mary, "book", "book me on 15 July")
			d.one(mary)
			d.importCSV(joiningHeader + tt.row + "\n")
			m := d.one(mary)
			m.must(t, tt.want...)
			m.mustNot(t, tt.dontWant...)
		})
	}
}

// TestAskForTheLink: "can you send me the Teams link again?" gets the
// joining details from someone booked on it, as their confirmation gave
// them; a meeting link is for those coming, so anyone else is told that
// booking brings it.
func TestAskForTheLink(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	const link = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NjA2"
	d.importCSV(joiningHeader +
		"chat,session,Gardening chat,2027-06-25 10:00,2027-06-25 11:00,5,Online (Microsoft Teams),Seeds and swaps.,\"" + link + "\nPasscode: Xy7kP2\"\n")
	d.send(mary, "book", "book the gardening chat")
	d.one(mary)
	d.send(mary, "link", "Can you send me the Teams link again for the gardening chat? I can't find it.")
	got := d.one(mary)
	got.must(t, "Here is how to join it:", link, "Passcode: Xy7kP2")
	got.mustNot(t, "passed your email")
	d.send(sam, "link", "what's the link for the gardening chat")
	other := d.one(sam)
	other.must(t, "When you are booked on it, we email you how to join")
	other.mustNot(t, link, "Xy7kP2")
	if b := d.bookings("chat"); len(b) != 1 {
		t.Errorf("bookings %q: asking for the link booked someone", b)
	}
}
