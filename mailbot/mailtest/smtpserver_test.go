package mailtest

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// TestSMTPServer checks the recording server itself with go-smtp's client:
// queued replies come back with their codes, a dropped connection is a
// network error, and the counters add up.
func TestSMTPServer(t *testing.T) {
	t.Parallel()
	rs := NewSMTPServer(t, SMTPConfig{Replies: []Reply{
		{Err: Temp("try later")},
		{Err: Perm("no such user")},
		{},
		{Drop: true},
	}})
	tests := []struct {
		name     string
		wantCode int // 0: accepted; -1: a network error
	}{
		{"451", 451},
		{"550", 550},
		{"250", 0},
		{"drop", -1},
		{"queue empty", 0},
	}
	body := "Subject: x\r\n\r\n.leading dot\r\nline\r\n"
	var c *smtp.Client
	for _, tt := range tests {
		if c == nil {
			var err error
			if c, err = smtp.Dial(rs.Addr); err != nil {
				t.Fatal(err)
			}
		}
		err := c.SendMail("a@example.org", []string{"b@example.org"}, strings.NewReader(body))
		var se *smtp.SMTPError
		got := 0
		switch {
		case errors.As(err, &se):
			got = se.Code
			if err := c.Reset(); err != nil {
				t.Fatalf("%s: Reset: %v", tt.name, err)
			}
		case err != nil:
			got = -1
			c.Close()
			c = nil
		}
		if got != tt.wantCode {
			t.Errorf("%s: SendMail = %d (%v), want %d", tt.name, got, err, tt.wantCode)
		}
	}
	if c != nil {
		c.Quit()
	}
	if got, want := rs.Conns(), 2; got != want {
		t.Errorf("Conns() = %d, want %d", got, want)
	}
	if got, want := rs.DataCalls(), 5; got != want {
		t.Errorf("DataCalls() = %d, want %d", got, want)
	}
	if got, want := rs.MailCalls(), 5; got != want {
		t.Errorf("MailCalls() = %d, want %d", got, want)
	}
	if got, want := rs.Drops(), 1; got != want {
		t.Errorf("Drops() = %d, want %d", got, want)
	}
	acc := rs.Accepted()
	if got, want := len(acc), 2; got != want {
		t.Fatalf("len(Accepted()) = %d, want %d", got, want)
	}
	if got, want := acc[0].From, "a@example.org"; got != want {
		t.Errorf("Accepted()[0].From = %q, want %q", got, want)
	}
	if got, want := strings.Join(acc[0].To, ","), "b@example.org"; got != want {
		t.Errorf("Accepted()[0].To = %q, want %q", got, want)
	}
	if got, want := acc[0].Data, []byte(body); !bytes.Equal(got, want) {
		t.Errorf("Accepted()[0].Data = %q, want %q", got, want)
	}
}

// TestSMTPServerCommands checks the failures injected at MAIL and RCPT,
// a drop at RCPT, and a slow answer.
func TestSMTPServerCommands(t *testing.T) {
	t.Parallel()
	rs := NewSMTPServer(t, SMTPConfig{
		Mail: func(n int, from string) Reply {
			if n == 0 {
				return Reply{Err: Temp("greylisted")}
			}
			return Reply{Delay: 50 * time.Millisecond}
		},
		Rcpt: func(to string) Reply {
			switch to {
			case "nobody@example.org":
				return Reply{Err: Perm("no such user")}
			case "drop@example.org":
				return Reply{Drop: true}
			}
			return Reply{}
		},
	})
	c, err := smtp.Dial(rs.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var se *smtp.SMTPError
	if err := c.Mail("a@example.org", nil); !errors.As(err, &se) || se.Code != 451 {
		t.Errorf("first MAIL = %v, want 451", err)
	}
	start := time.Now()
	if err := c.Mail("a@example.org", nil); err != nil {
		t.Fatalf("second MAIL = %v", err)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("second MAIL answered after %v, want the 50ms delay", d)
	}
	if err := c.Rcpt("nobody@example.org", nil); !errors.As(err, &se) || se.Code != 550 {
		t.Errorf("RCPT nobody = %v, want 550", err)
	}
	if err := c.Rcpt("b@example.org", nil); err != nil {
		t.Errorf("RCPT b = %v", err)
	}
	if err := c.Rcpt("drop@example.org", nil); err == nil || errors.As(err, &se) {
		t.Errorf("RCPT drop = %v, want a network error", err)
	}
	if got := rs.Drops(); got != 1 {
		t.Errorf("Drops() = %d, want 1", got)
	}
	if got := len(rs.Accepted()); got != 0 {
		t.Errorf("Accepted() has %d messages, want 0", got)
	}
}

// TestSMTPServerAuth checks RequireAuth, a password check and a mechanism
// of the test's own.
func TestSMTPServerAuth(t *testing.T) {
	t.Parallel()
	rs := NewSMTPServer(t, SMTPConfig{
		RequireAuth: true,
		Mechanisms:  []string{sasl.Plain, sasl.Anonymous},
		Password: func(user, pass string) error {
			if pass != "right" {
				return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "authentication failed"}
			}
			return nil
		},
		Auth: func(mech string, authed func()) (sasl.Server, error) {
			return sasl.NewAnonymousServer(func(string) error { authed(); return nil }), nil
		},
	})
	send := func(auth sasl.Client) error {
		c, err := smtp.Dial(rs.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if auth != nil {
			if err := c.Auth(auth); err != nil {
				return err
			}
		}
		return c.SendMail("a@example.org", []string{"b@example.org"}, strings.NewReader("Subject: x\r\n\r\nx\r\n"))
	}
	var se *smtp.SMTPError
	if err := send(nil); !errors.As(err, &se) || se.Code != 530 {
		t.Errorf("without AUTH: %v, want 530", err)
	}
	if err := send(sasl.NewPlainClient("", "u", "wrong")); !errors.As(err, &se) || se.Code != 535 {
		t.Errorf("wrong password: %v, want 535", err)
	}
	if err := send(sasl.NewPlainClient("", "u", "right")); err != nil {
		t.Errorf("right password: %v", err)
	}
	if err := send(sasl.NewAnonymousClient("trace")); err != nil {
		t.Errorf("ANONYMOUS: %v", err)
	}
	if got, want := strings.Join(rs.Logins(), " "), "u:right ANONYMOUS"; got != want {
		t.Errorf("Logins() = %q, want %q", got, want)
	}
	if got := len(rs.Accepted()); got != 2 {
		t.Errorf("Accepted() has %d messages, want 2", got)
	}
}
