package realmail

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestAnyAddress checks what the end-to-end tests take for granted of
// AnyAddress: mail to any domain lands, a plus-address in its base
// address's mailbox, with the header as written and the filter's result
// on top for a sender who logged in; and Empty leaves nothing behind.
func TestAnyAddress(t *testing.T) {
	if reason := Requirements(); reason != "" {
		if os.Getenv("MAILBOT_INTEGRATION_REQUIRED") == "1" {
			t.Fatal("MAILBOT_INTEGRATION_REQUIRED=1 but this machine " + reason)
		}
		t.Skip("this machine " + reason)
	}
	s, err := Start(Options{AnyAddress: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(s.Logs())
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	c := s.Client()
	// No Message-ID, no Date, and a From Postfix would qualify (not@example.test).
	raw := "From: not an address\r\nSubject: hi\r\n\r\nhello\r\n"
	c.Send(t, s.SubmitAddr, "ann@example.org", "ann@example.org", "bot+tok@anywhere.example", raw)
	c.Send(t, s.SMTPAddr, "", "", "Zed@Example.net", raw)
	if err := s.Drain(); err != nil {
		t.Fatal(err)
	}

	got := c.Mailbox(t, s.IMAPAddr, "bot@anywhere.example")
	if len(got) != 1 {
		t.Fatalf("bot@anywhere.example has %d messages, want the one to bot+tok", len(got))
	}
	header, _, _ := bytes.Cut(got[0].Raw, []byte("\r\n\r\n"))
	h := string(header)
	if want := "Authentication-Results: " + AuthservID + "; auth=pass smtp.auth=ann@example.org"; !strings.Contains(h, want) {
		t.Errorf("header lacks %q:\n%s", want, h)
	}
	for _, added := range []string{"\r\nMessage-ID:", "\r\nDate:"} {
		if strings.Contains(h, added) {
			t.Errorf("Postfix added %q to the header:\n%s", added, h)
		}
	}
	if !strings.Contains(h, "\r\nFrom: not an address\r\n") {
		t.Errorf("From not as written:\n%s", h)
	}
	if n := len(c.Mailbox(t, s.IMAPAddr, "zed@example.net")); n != 1 {
		t.Errorf("zed@example.net has %d messages, want 1", n)
	}

	if err := s.Empty(); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"bot@anywhere.example", "zed@example.net"} {
		if n := len(c.Mailbox(t, s.IMAPAddr, who)); n != 0 {
			t.Errorf("after Empty %s has %d messages", who, n)
		}
	}
}
