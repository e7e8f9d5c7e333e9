package mailbot

import (
	"context"
	"testing"
	"time"
)

// TestDigest: staff get one digest a day at MAILBOT_DIGEST, saying what
// happened since the last, and none when there is nothing to say.
func TestDigest(t *testing.T) {
	t.Parallel()
	d := newDesk(t, map[string]string{"MAILBOT_DIGEST": "08:00"})
	at := func(day, hour, min int) {
		d.clock.Set(time.Date(2027, 6, day, hour, min, 0, 0, deskNow.Location()))
	}
	digest := func() bool {
		t.Helper()
		sent, err := d.bot.SendDigest(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return sent
	}
	// 15 June, 9am: nothing has happened yet; Promoting independence
	// (29 June) is too far off to worry about its link.
	if digest() || len(d.mail(officer)) != 0 {
		t.Fatal("a digest with nothing to say was sent")
	}
	d.timetable("small,session,Gardening chat,2027-06-17 10:00,2027-06-17 11:00,1,Online (Microsoft Teams),\n")
	d.send(mary, "book", "book the gardening chat")
	d.one(mary)
	d.send(sam, "book", "book the gardening chat")
	d.one(sam)
	d.send("Gail <gail@example.org>", "Question", "Can someone ring me please?")
	d.one("gail@example.org")
	d.one(officer) // the hand-off itself

	at(16, 7, 59)
	if digest() {
		t.Error("digest sent before 08:00")
	}
	at(16, 8, 0)
	if !digest() {
		t.Fatal("no digest at 08:00 with news to give")
	}
	m := d.one(officer)
	m.must(t, "Here is what has happened with Better Days since 9am on Tuesday 15 June 2027.",
		"Passed to you (1)", "gail@example.org, 9am on Tuesday 15 June 2027", `"Question"`,
		"Booked (1):", mary, "Gardening chat", "Thursday 17 June 2027, 10am to 11am",
		"New on a waiting list (1):", sam,
		"Online sessions soon with no joining details yet (1)")
	m.mustNot(t, "Cancelled (")
	if digest() || len(d.mail(officer)) != 0 {
		t.Error("a second digest the same day")
	}

	// The next day tells only what is new since.
	d.send(mary, "cancel", "please cancel the gardening chat")
	d.one(mary)
	d.one(sam) // promoted
	at(17, 8, 5)
	if !digest() {
		t.Fatal("no digest on the second day")
	}
	m = d.one(officer)
	m.must(t, "since 8am on Wednesday 16 June 2027", "Cancelled (1):", mary)
	m.mustNot(t, "Passed to you", "New on a waiting list")
}

func TestDigestOffOrNoStaff(t *testing.T) {
	t.Parallel()
	for name, env := range map[string]map[string]string{
		"off":      {"MAILBOT_DIGEST": "off"},
		"no staff": {"MAILBOT_STAFF": ""},
	} {
		t.Run(name, func(t *testing.T) {
			d := newDesk(t, env)
			d.send(mary, "book", "book me on 15 July")
			d.one(mary)
			d.clock.Set(time.Date(2027, 6, 16, 9, 0, 0, 0, deskNow.Location()))
			if sent, err := d.bot.SendDigest(context.Background()); sent || err != nil {
				t.Errorf("SendDigest = %v, %v; want nothing sent", sent, err)
			}
		})
	}
}

func TestDigestSetting(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]time.Duration{"": 8 * time.Hour, "08:00": 8 * time.Hour, "7:30": 7*time.Hour + 30*time.Minute, "17:05": 17*time.Hour + 5*time.Minute} {
		cfg, err := FromEnv(func(k string) string {
			if k == "MAILBOT_DIGEST" {
				return v
			}
			return ""
		})
		if err != nil || cfg.Digest != want || cfg.DigestOff {
			t.Errorf("MAILBOT_DIGEST=%q: %v, off %v, err %v; want %v", v, cfg.Digest, cfg.DigestOff, err, want)
		}
	}
}
