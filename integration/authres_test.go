//go:build integration

package integration

import (
	"strings"
	"testing"

	"github.com/betterdays/mailbot/mailbot/mailtest/realmail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Forged authserv-ids: ours in other ASCII case, which a strip rule
// removes, and Unicode look-alikes of it, which one does not (and must not
// be taken for ours by the bot).
var (
	forgedASCII  = strings.ToUpper(realmail.AuthservID)
	forgedLongS  = strings.Replace(realmail.AuthservID, "s", "\u017f", 1) // ſ, LATIN SMALL LETTER LONG S
	forgedKelvin = strings.Replace(realmail.AuthservID, "k", "\u212a", 1) // K, KELVIN SIGN
)

// results lists a delivered message's Authentication-Results, top first.
func results(m *message) []string {
	var out []string
	for _, v := range m.Header.Values("Authentication-Results") {
		out = append(out, strings.Join(strings.Fields(v), " "))
	}
	return out
}

// TestAuthResultsStamp checks the harness is the receiving server the bot
// is told to expect: each port removes forged results carrying our
// authserv-id in any ASCII case, keeps look-alikes (as real strip rules
// do), and says on top what it proved.
func TestAuthResultsStamp(t *testing.T) {
	s := needServers(t)
	const ann, zed, staff = "ann@example.test", "zed@example.test", "staff@example.test"
	forged := []string{
		"Authentication-Results: " + forgedASCII + "; auth=pass smtp.auth=" + staff,
		"Authentication-Results: " + forgedLongS + "; auth=pass smtp.auth=" + staff,
		"Authentication-Results: (a comment) " + realmail.AuthservID + " 1; dmarc=pass header.from=example.test",
		"Authentication-Results: " + forgedKelvin + "; auth=pass smtp.auth=" + staff,
		"Authentication-Results: other.example.org; dkim=pass header.d=example.test",
	}
	survivors := []string{
		forgedLongS + "; auth=pass smtp.auth=" + staff,
		forgedKelvin + "; auth=pass smtp.auth=" + staff,
		"other.example.org; dkim=pass header.d=example.test",
	}
	tests := []struct {
		name string
		send func(t *testing.T, raw string)
		top  []string // our own results on top, before the survivors
	}{
		{"public", func(t *testing.T, raw string) { s.sendRaw(t, staff, ann, raw) },
			[]string{realmail.AuthservID + "; auth=none"}},
		{"quiet", func(t *testing.T, raw string) { s.sendVia(t, s.QuietAddr, "", staff, ann, raw) },
			nil},
		{"submission", func(t *testing.T, raw string) { s.submitRaw(t, zed, staff, ann, raw) },
			[]string{realmail.AuthservID + "; auth=pass smtp.auth=" + zed + "; spf=pass smtp.mailfrom=" + staff +
				"; dmarc=pass header.from=example.test"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.fresh(t, ann)
			id, raw := compose(t, staff, ann, "stamp "+tc.name, "hello", forged...)
			tc.send(t, raw)
			m := s.waitForMail(t, ann, func(m *message) bool { return m.messageID() == id })
			got := strings.Join(results(m), "\n")
			want := strings.Join(append(tc.top, survivors...), "\n")
			if got != want {
				t.Errorf("Authentication-Results, top first:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestSubmissionNeedsLogin: the submission port offers AUTH only after
// STARTTLS, takes only a right password, and relays nothing without one.
func TestSubmissionNeedsLogin(t *testing.T) {
	s := needServers(t)
	c, err := smtp.Dial(s.SubmitAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example.test"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("AUTH"); ok {
		t.Error("submission offers AUTH before STARTTLS")
	}
	if err := c.Mail("zed@example.test", nil); err == nil {
		t.Error("submission took MAIL FROM before STARTTLS")
	}

	tc, err := smtp.DialStartTLS(s.SubmitAddr, s.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if ok, _ := tc.Extension("AUTH"); !ok {
		t.Fatal("submission offers no AUTH after STARTTLS")
	}
	if err := tc.Auth(sasl.NewPlainClient("", "zed@example.test", "wrong")); err == nil {
		t.Error("submission took a wrong password")
	}
	_, raw := compose(t, "zed@example.test", "ann@example.test", "no login", "hello")
	if err := tc.SendMail("zed@example.test", []string{"ann@example.test"}, strings.NewReader(raw)); err == nil {
		t.Error("submission relayed mail without a login")
	}
}
