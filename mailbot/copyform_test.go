package mailbot

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/betterdays/mailbot/store"
)

// A copy made from the issue's form is byte for byte the copy rendered
// whole, for tokens of every length and names of every kind, and for text
// that quoted-printable has work to do on.
func TestCopyFormSameAsWhole(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, md string
		form     bool
	}{
		{"plain", "# News\n\nHello all.\n\n{{sessions}}\n", true},
		{"awkward", "# Café news = good\n\n.a line with a dot\nFrom here on   \ntrailing tab\t\n" +
			"a very long line that goes on and on well past the seventy-six characters quoted-printable allows on one line, with ümlauts too\n", true},
		// The made-up name the form is checked with appears in the text:
		// copies are then rendered whole, and still right.
		{"fallback", "Dear Formfirstnamea,\n\nnews.\n", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := newDesk(t, nil)
			ctx := context.Background()
			var n store.Newsletter
			err := d.st.Write(ctx, func(tx *store.Tx) error {
				var err error
				n, err = d.bot.DraftNewsletter(ctx, tx, "News", c.md, "cli")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			is, err := d.bot.issue(ctx, n.ID)
			if err != nil {
				t.Fatal(err)
			}
			if (is.form != nil) != c.form {
				t.Fatalf("form made = %v, want %v", is.form != nil, c.form)
			}
			whole := is
			whole.form = nil
			for _, p := range []store.Person{
				{ID: 1, Email: "a@example.org", Name: "Ann Smith"},
				{ID: 300, Email: "b@example.org", Name: "Zoë O'Brien-Łukasiewicz, with a very long name indeed"},
				{ID: 1 << 40, Email: "c@example.org"},
			} {
				got, err := d.bot.newsletterCopy(nil, is, p, "id1@localhost")
				if err != nil {
					t.Fatal(err)
				}
				want, err := d.bot.newsletterCopy(nil, whole, p, "id1@localhost")
				if err != nil {
					t.Fatal(err)
				}
				if g, w := sameBoundary(got), sameBoundary(want); !bytes.Equal(g, w) {
					t.Errorf("copy for %s from the form differs from the whole copy:\n--- form\n%s\n--- whole\n%s", p.Email, g, w)
				}
			}
		})
	}
}

var boundaryRE = regexp.MustCompile(`boundary=([0-9a-f]+)`)

// sameBoundary replaces msg's random MIME boundary with a fixed one.
func sameBoundary(msg []byte) []byte {
	m := boundaryRE.FindSubmatch(msg)
	if m == nil {
		return msg
	}
	return bytes.ReplaceAll(msg, m[1], []byte("BOUNDARY"))
}
