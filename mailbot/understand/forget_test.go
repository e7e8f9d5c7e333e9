package understand

import (
	"testing"
	"time"
)

func TestAsksToForget(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text, subject string
		want          bool
	}{
		{"delete my data", "", true},
		{"Please remove all my details.", "", true},
		{"Forget me", "", true},
		{"please forget me, thank you", "", true},
		{"Could you please delete all of my personal information?", "", true},
		{"I would like you to erase my details from your system", "", true},
		{"Can you delete the data you hold about me please", "", true},
		{"Please remove everything you have on me.", "", true},
		{"Remove me from your records", "", true},
		{"Please delete me from your database, thanks", "", true},
		{"I'd like to exercise my right to be forgotten.", "", true},
		{"This is a data erasure request under GDPR.", "", true},
		{"I don't want you to keep my details any more", "", true},
		{"Please delete my account", "", true},
		{"Wipe my email address please", "", true},
		{"DELETE MY DATA", "", true},
		{"Please unsubscribe me and delete all my data", "", true},
		{"delete\nmy\ndetails", "", true},
		{"", "Delete my data", true},
		{"Hello,\n\nplease see subject.\n\nMary", "Right to be forgotten", true},

		// Not a request to erase.
		{"", "Re: Delete my data", false}, // our own subject, quoted back
		{"Please don't delete my details, I'll be back next year", "", false},
		{"Do not remove my data, I want to stay on the list", "", false},
		{"Don't forget me for the 15 July session!", "", false},
		{"Please remove my email address from your mailing list", "", false},
		{"Delete my details from the newsletter please", "", false},
		{"remove me", "", false},
		{"unsubscribe", "", false},
		{"Please cancel my booking for 15 July", "", false},
		{"Please delete my booking", "", false},
		{"Remove the 15 July session from my bookings", "", false},
		{"I forgot my password", "", false},
		{"My details are: Mary Jones, 07700 900123", "", false},
		{"Can you update my details? My new phone is 07700 900456", "", false},
		{"What data do you hold about me?", "", false}, // a subject access request, not erasure
	} {
		if got := Read(tc.text, Context{TZ: time.UTC, Subject: tc.subject}).Forget; got != tc.want {
			t.Errorf("Read(%q, subject %q).Forget = %v, want %v", tc.text, tc.subject, got, tc.want)
		}
	}
}

// TestForgetNotReadAsOtherwise: the bot leaves the list at once when a
// request to erase also asks that, so Read must not find that in the
// words that only ask to be forgotten, and must where it is said.
func TestForgetNotReadAsOtherwise(t *testing.T) {
	t.Parallel()
	c := Context{TZ: time.UTC}
	for _, text := range []string{"delete my data", "Please remove all my details", "forget me", "remove me from your records"} {
		r := Read(text, c)
		if r.Action == Cancel || r.Unsubscribe || r.Subscribe {
			t.Errorf("Read(%q) = %+v: taken for something else too", text, r)
		}
	}
	if r := Read("Please unsubscribe me and delete all my data", c); !r.Unsubscribe {
		t.Error(`"unsubscribe me and delete all my data" does not unsubscribe`)
	}
}

// TestAsksForData: a copy of what we hold, asked for in ordinary words;
// erasure and a session's details are other things.
func TestAsksForData(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text, subject string
		want          bool
	}{
		{"What information do you hold about me?", "", true},
		{"Could I have a copy of my data please", "", true},
		{"", "Subject access request", true},
		{"what do you know about me?", "", true},
		{"what data does the council hold on me", "", true},
		{"Please delete the data you hold about me", "", false},
		{"What information do you have about the walking group?", "", false},
		{"Can I have a copy of the timetable?", "", false},
	} {
		if got := Read(tc.text, Context{TZ: time.UTC, Subject: tc.subject}).Access; got != tc.want {
			t.Errorf("Read(%q, subject %q).Access = %v, want %v", tc.text, tc.subject, got, tc.want)
		}
	}
}
