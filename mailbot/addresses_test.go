package mailbot

import (
	"context"
	"strings"
	"testing"

	"github.com/betterdays/mailbot/mailbot/desk"
)

// TestInternationalAddresses: through a server without SMTPUTF8 (as the
// recording server is), a domain in Unicode goes in its ASCII form, and an
// address whose local part is not ASCII fails at once with the reason,
// instead of waiting in the outbox for two days of retries.
func TestInternationalAddresses(t *testing.T) {
	d := newDesk(t, nil)
	d.send("mary@bücher.example", "help", "help")
	if got := d.mail("mary@xn--bcher-kva.example"); len(got) != 1 {
		t.Errorf("mary@bücher.example: %d replies delivered to mary@xn--bcher-kva.example, want 1", len(got))
	}

	d.send("josé@example.org", "help", "help")
	if got := d.mail("josé@example.org"); len(got) != 0 {
		t.Errorf("a server without SMTPUTF8 took a non-ASCII address")
	}
	st, err := d.st.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Queued != 0 || st.Failed != 1 {
		t.Errorf("outbox: %d queued, %d failed; want josé's reply failed for good", st.Queued, st.Failed)
	}
}

func TestFirstName(t *testing.T) {
	long := strings.Repeat("a", 41)
	for _, tc := range []struct{ name, want string }{
		{"Mary Jones", "Mary"},
		{"Jones, Mary", "Mary"},
		{"mary@example.org", ""},
		{"", ""},
		{long + " Jones", ""},
		{strings.Repeat("é", 40), strings.Repeat("é", 40)},
	} {
		if got := desk.FirstName(tc.name); got != tc.want {
			t.Errorf("desk.FirstName(%.20q) = %.20q, want %.20q", tc.name, got, tc.want)
		}
	}
}
