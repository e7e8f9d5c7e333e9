package desk

import (
	"strings"
	"testing"
)

const mary = "mary@example.org"

func TestMentioning(t *testing.T) {
	t.Parallel()
	named := mentioning(mary, "Mary Jones")
	for _, tc := range []struct {
		name string
		text string
		want bool
	}{
		{"address", "To: mary@example.org\r\n\r\nhello", true},
		{"address in capitals", "MARY@EXAMPLE.ORG", true},
		{"full name", "Attendees: 1. Mary Jones", true},
		{"address broken by quoted-printable", "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
			strings.Repeat("x", 60) + " mary@exam=\r\nple.org\r\n", true},
		{"name encoded in a header", "To: =?utf-8?q?Mary_Jones?= <someone@example.org>\r\n\r\nhello", true},
		{"first name only", "Hello Mary, you are booked", false},
		{"someone else", "To: ann@example.org\r\n\r\nHello Ann", false},
	} {
		if got := named([]byte(tc.text)); got != tc.want {
			t.Errorf("%s: mentioning = %v, want %v", tc.name, got, tc.want)
		}
	}
	if mentioning(mary, "Mary")([]byte("Hello Mary")) {
		t.Error("a one-word name is looked for: it would match strangers")
	}
}
