package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// NoEmailDomain holds the addresses of people who have none. RFC 2606
// reserves .invalid: nothing sent there can reach anyone.
const NoEmailDomain = "no-email.invalid"

// NoEmail reports whether addr stands for someone with no email address.
func NoEmail(addr string) bool {
	return strings.HasSuffix(strings.ToLower(addr), "@"+NoEmailDomain)
}

// NoEmailAddress is the address that stands for someone with no email
// address: from their phone number's digits, or else their name, so the
// same person booked twice is one person.
func NoEmailAddress(name, phone string) string {
	keep := func(ok func(rune) bool) func(rune) rune {
		return func(r rune) rune {
			if ok(r) {
				return unicode.ToLower(r)
			}
			return -1
		}
	}
	if digits := strings.Map(keep(unicode.IsDigit), phone); digits != "" {
		return "phone-" + digits + "@" + NoEmailDomain
	}
	slug := strings.Map(keep(func(r rune) bool { return r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) }), name)
	return "name-" + slug + "@" + NoEmailDomain
}

// NotePersonWithoutEmail records someone with no email address, booked by
// a member of staff (contact, or "" for whoever is staff) who is to hear
// what they would have been sent, and returns them.
func (tx *Tx) NotePersonWithoutEmail(ctx context.Context, name, phone, contact string, now time.Time) (Person, error) {
	if strings.TrimSpace(name) == "" && strings.TrimSpace(phone) == "" {
		return Person{}, fmt.Errorf("someone with no email address needs a name or a phone number")
	}
	email := NoEmailAddress(name, phone)
	id, err := tx.NotePerson(ctx, email, name, now)
	if err != nil {
		return Person{}, err
	}
	if _, err := tx.tx.ExecContext(ctx, `UPDATE people SET
			phone = CASE WHEN ? <> '' THEN ? ELSE phone END,
			contact = CASE WHEN ? <> '' THEN ? ELSE contact END
		WHERE id = ?`, phone, phone, contact, contact, id); err != nil {
		return Person{}, fmt.Errorf("note person %s: %w", email, err)
	}
	return tx.Person(ctx, id)
}

// Reach is how to reach someone with no email address: their phone, and
// the staff address that hears for them ("" for every one).
func (tx *Tx) Reach(ctx context.Context, email string) (name, phone, contact string, err error) {
	err = tx.tx.QueryRowContext(ctx, `SELECT name, phone, contact FROM people WHERE email = ?`, email).Scan(&name, &phone, &contact)
	if err != nil {
		return "", "", "", fmt.Errorf("read how to reach %s: %w", email, err)
	}
	return name, phone, contact, nil
}

// ToPhone returns the confirmed bookings of people with no email address
// on sessions starting from now until until: the people staff must ring.
func (tx *Tx) ToPhone(ctx context.Context, now, until time.Time) ([]Booking, error) {
	bs, err := queryBookings(ctx, tx.tx, `b.status = 'confirmed' AND s.starts_at > ? AND s.starts_at <= ? AND p.email LIKE ?
		ORDER BY s.starts_at, b.id`, millis(now), millis(until), "%@"+NoEmailDomain)
	for i := range bs {
		bs[i].Email = ""
	}
	return bs, err
}
