package mailbot

import (
	"context"
	"fmt"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// Digest covers at most this far back: after a week switched off, staff
// want today's news, not a month's.
const maxDigestSpan = 7 * 24 * time.Hour

// noJoiningWithin is how soon an online session without its joining
// details is worth a line in the digest: the people booked were told
// the link would come before the day.
const noJoiningWithin = 48 * time.Hour

// SendDigest queues the day's digest to every staff address, once each
// local day at or after MAILBOT_DIGEST: the bookings, waiting-list places
// and cancellations since the last one, the people to phone, online
// sessions soon with no joining details, and the messages passed to staff.
// The day is recorded with the digest's outbox rows, so it goes once
// however often this runs; a day with nothing to say sends nothing.
func (b *Bot) SendDigest(ctx context.Context) (bool, error) {
	if b.cfg.DigestOff || len(b.cfg.Staff) == 0 {
		return false, nil
	}
	now := b.clock.Now()
	local := now.In(b.cfg.TZ)
	// time.Date, not midnight plus a duration: on the day the clocks
	// change, 08:00 is still 08:00.
	due := time.Date(local.Year(), local.Month(), local.Day(),
		int(b.cfg.Digest/time.Hour), int(b.cfg.Digest%time.Hour/time.Minute), 0, 0, b.cfg.TZ)
	if now.Before(due) {
		return false, nil
	}
	day := local.Format(time.DateOnly)
	sent := false
	err := b.store.Write(ctx, func(tx *store.Tx) error {
		sent = false
		last, done, err := tx.LastDigest(ctx, day)
		if err != nil || done {
			return err
		}
		since := now.Add(-24 * time.Hour)
		if !last.IsZero() {
			since = last
			if cutoff := now.Add(-maxDigestSpan); since.Before(cutoff) {
				since = cutoff
			}
		}
		news, err := tx.NewsBetween(ctx, since, now)
		if err != nil {
			return err
		}
		noJoining, err := b.noJoining(ctx, tx, now)
		if err != nil {
			return err
		}
		toPhone, err := tx.ToPhone(ctx, now, now.Add(noJoiningWithin))
		if err != nil {
			return err
		}
		if err := tx.MarkDigest(ctx, day, now); err != nil {
			return err
		}
		if news.Empty() && len(noJoining)+len(toPhone) == 0 {
			return nil
		}
		data := b.digestData(news, since)
		data.NoJoining = noJoining
		for _, bk := range toPhone {
			data.ToPhone = append(data.ToPhone, b.digestLine(bk))
		}
		sent = true
		return b.queue(ctx, tx, b.toAllStaff(desk.Reply{
			Kind: "digest", Subject: fmt.Sprintf("Better Days digest, %s %d %s", local.Weekday(), local.Day(), local.Month()), Data: data,
		}), 0, now)
	})
	if err != nil {
		return false, fmt.Errorf("digest: %w", err)
	}
	if sent && b.queued != nil {
		b.queued()
	}
	return sent, nil
}

// digestData says news as the digest does.
func (b *Bot) digestData(news store.DayNews, since time.Time) templates.Digest {
	lines := func(bs []store.Booking) []templates.DigestLine {
		var out []templates.DigestLine
		for _, bk := range bs {
			out = append(out, b.digestLine(bk))
		}
		return out
	}
	d := templates.Digest{Since: desk.At(since, b.cfg.TZ),
		Booked: lines(news.Booked), Waiting: lines(news.Waiting), Cancelled: lines(news.Cancelled)}
	for _, h := range news.Handoffs {
		d.Handoffs = append(d.Handoffs, templates.DigestHandoff{From: h.From, Subject: h.Subject, At: desk.At(h.At, b.cfg.TZ)})
	}
	return d
}

// noJoining are the online sessions starting soon, with people booked,
// that have no joining details yet.
func (b *Bot) noJoining(ctx context.Context, tx *store.Tx, now time.Time) ([]templates.DigestLine, error) {
	upcoming, err := tx.UpcomingSessions(ctx, now, store.Group)
	if err != nil {
		return nil, err
	}
	var out []templates.DigestLine
	for _, s := range upcoming {
		if s.Starts.After(now.Add(noJoiningWithin)) {
			break // soonest first
		}
		if desk.Online(s.Session) && s.Joining == "" && s.Left < s.Capacity {
			out = append(out, templates.DigestLine{Title: s.Title, When: desk.When(s.Starts, s.Ends, b.cfg.TZ)})
		}
	}
	return out, nil
}

// digestLine is one booking in the digest: who (with their address, when
// they have one), how many places, their phone, and the session.
func (b *Bot) digestLine(bk store.Booking) templates.DigestLine {
	email := bk.Email
	if store.NoEmail(email) {
		email = ""
	}
	who := bk.Name
	switch {
	case who == "":
		who = email
	case email != "":
		who += " <" + email + ">"
	}
	return templates.DigestLine{Title: bk.Session.Title, When: desk.When(bk.Session.Starts, bk.Session.Ends, b.cfg.TZ),
		Who: who, Places: bk.Places, Phone: bk.Phone}
}
