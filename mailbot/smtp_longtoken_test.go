package mailbot

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/betterdays/mailbot/mailbot/mailtest"
)

// commandLimit is the longest SMTP command line, CRLF included (RFC 5321
// section 4.5.3.1.4). A SASL response sent after a 334 is not a command
// and may be up to 12288 octets (RFC 4954 section 4).
const (
	commandLimit  = 512
	saslLineLimit = 12288
)

// strictFront listens in front of the SMTP server at backend and, as
// Dovecot's submission service and Gmail do, answers a command line
// longer than commandLimit with 500 and drops the connection. It records
// the longest command line it saw.
type strictFront struct {
	mu      sync.Mutex
	longest int
}

func (f *strictFront) start(t *testing.T, backend string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.relay(c, backend)
		}
	}()
	return ln.Addr().String()
}

func (f *strictFront) relay(client net.Conn, backend string) {
	defer client.Close()
	server, err := net.Dial("tcp", backend)
	if err != nil {
		return
	}
	defer server.Close()
	go io.Copy(client, server)
	r := bufio.NewReaderSize(client, 64<<10)
	afterChallenge := false // the line answers a 334: a SASL response
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if !afterChallenge {
			f.mu.Lock()
			f.longest = max(f.longest, len(line))
			f.mu.Unlock()
			if len(line) > commandLimit {
				io.WriteString(client, "500 5.5.2 Line too long\r\n")
				return
			}
		}
		// A bare AUTH MECH is answered with 334, and the next line is
		// the response; the front does not parse replies, so it allows
		// that one line the SASL limit.
		fields := strings.Fields(line)
		afterChallenge = len(fields) == 2 && strings.EqualFold(fields[0], "AUTH")
		if _, err := io.WriteString(server, line); err != nil {
			return
		}
	}
}

// TestSMTPLongOAuthToken logs in with a token of Microsoft's size (about
// 2 KB) through a server that enforces the 512-octet command line: the
// token must go after the 334, not on the AUTH line. go-smtp v0.25.1 put
// it on the AUTH line (2,743 octets) and was refused.
func TestSMTPLongOAuthToken(t *testing.T) {
	t.Parallel()
	// A Microsoft access token is a JWT of about 1.5 to 2.5 KB.
	token := "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + strings.Repeat("QWxhZGRpbjpvcGVuIHNlc2FtZQ", 76) + ".sig"
	if len(token) < 2000 {
		t.Fatalf("token of %d bytes: want a realistic 2 KB one", len(token))
	}
	for _, tt := range oauthMechCases {
		t.Run(tt.name, func(t *testing.T) {
			o := &oauthCheck{valid: token, mechs: tt.offers}
			rs := startOAuthSMTP(t, o, func(c *mailtest.SMTPConfig) { c.MaxLineLength = saslLineLimit })
			front := &strictFront{}
			addr := front.start(t, rs.Addr)
			cmd, _ := tokenScript(t, token)
			cfg := oauthEnv(t, addr, addr, cmd, cmd)
			s := NewSMTPSender(cfg.SMTP, "localhost", slog.New(slog.DiscardHandler))
			defer s.Close()
			if err := s.Send(context.Background(), oauthUser, "mary@example.org", recBody("mary@example.org", 1)); err != nil {
				t.Fatalf("Send with a %d-byte token: %v", len(token), err)
			}
			if n := len(rs.Accepted()); n != 1 {
				t.Errorf("server accepted %d messages, want 1", n)
			}
			front.mu.Lock()
			defer front.mu.Unlock()
			if front.longest > commandLimit {
				t.Errorf("longest command line %d octets, want at most %d", front.longest, commandLimit)
			}
		})
	}
}
