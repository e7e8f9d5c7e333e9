package mailbot

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"
)

// TestSecretFile: the signing key is made on first run, readable by its
// owner only, and the same key is read on every run after; a key others
// can read, or of the wrong size, stops the bot with what to do.
func TestSecretFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mailbot.db.secret")
	first, err := loadSecret(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 || len(first) != secretBytes {
		t.Errorf("new secret: mode %v, %d bytes; want 0600 and %d", mode, len(first), secretBytes)
	}
	if again, err := loadSecret(path); err != nil || !bytes.Equal(again, first) {
		t.Errorf("second run read %x, %v; want the same key", again, err)
	}
	other, err := loadSecret(filepath.Join(t.TempDir(), "other.secret"))
	if err != nil || bytes.Equal(other, first) {
		t.Errorf("another new secret = %x, %v; want a different random key", other, err)
	}

	for _, tc := range []struct {
		name string
		mode os.FileMode
		data []byte
		want string
	}{
		{"group can read", 0o640, first, "chmod 600"},
		{"anyone can read", 0o644, first, "chmod 600"},
		{"too short", 0o600, first[:16], "want 32 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "secret")
			if err := os.WriteFile(p, tc.data, tc.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(p, tc.mode) // whatever the umask
			if _, err := loadSecret(p); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("loadSecret = %v, want an error naming the file and saying %q", err, tc.want)
			}
		})
	}

	// An empty file is what a first start cut short leaves: nothing was
	// signed with it, so a key is made.
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if k, err := loadSecret(p); err != nil || len(k) != secretBytes {
		t.Errorf("empty secret file: %x, %v; want a new key", k, err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != secretBytes {
		t.Errorf("empty secret file afterwards: %v, %v; want the key, mode 0600", fi, err)
	}
}

// TestTokensRefuseTampering: a token is good only as it was made: for its
// purpose, under our key, unexpired, and with every character as sent.
func TestTokensRefuseTampering(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: deskNow}
	key := bytes.Repeat([]byte{7}, secretBytes)
	s := newSigner(key, clock, "")
	const id = 4242
	leave := s.Token(desk.PurposeLeave, id, 0)
	confirm := s.Token(desk.PurposeConfirm, id, 30*24*time.Hour)

	// Safe in a URL path and an address's local part, and unharmed by
	// servers that fold an address to upper or lower case.
	if !regexp.MustCompile(`^[a-z2-7]+$`).MatchString(leave) {
		t.Errorf("token %q has characters outside a-z and 2-7", leave)
	}
	for _, tok := range []string{leave, strings.ToUpper(leave)} {
		if got, err := s.Check(desk.PurposeLeave, tok); err != nil || got != id {
			t.Errorf("check(%q) = %d, %v; want %d", tok, got, err, id)
		}
	}

	// Every single character changed, dropped, or one added.
	for i := range leave {
		c := byte('a')
		if leave[i] == 'a' {
			c = 'b'
		}
		for _, bad := range []string{leave[:i] + string(c) + leave[i+1:], leave[:i] + leave[i+1:]} {
			if _, err := s.Check(desk.PurposeLeave, bad); !errors.Is(err, errBadToken) {
				t.Errorf("check(%q), changed at %d: %v, want refused", bad, i, err)
			}
		}
	}
	for _, tc := range []struct {
		name    string
		s       signer
		purpose desk.Purpose
		token   string
		want    error
	}{
		{"added character", s, desk.PurposeLeave, leave + "a", errBadToken},
		{"for another purpose", s, desk.PurposeLeave, confirm, errBadToken},
		{"a leave token to confirm", s, desk.PurposeConfirm, leave, errBadToken},
		{"a leave token as a bounce address", s, desk.PurposeBounce, leave, errBadToken},
		{"under another key", newSigner(bytes.Repeat([]byte{8}, secretBytes), clock, ""), desk.PurposeLeave, leave, errBadToken},
		{"empty", s, desk.PurposeLeave, "", errBadToken},
		{"not base32", s, desk.PurposeLeave, "!!!!", errBadToken},
		{"only a MAC's length", s, desk.PurposeLeave, leave[len(leave)-16:], errBadToken},
		{"huge", s, desk.PurposeLeave, strings.Repeat("a", 100000), errBadToken},
	} {
		if _, err := tc.s.Check(tc.purpose, tc.token); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}

	// A confirmation lapses; an unsubscribe link never does.
	clock.Set(deskNow.Add(30*24*time.Hour - time.Second))
	if _, err := s.Check(desk.PurposeConfirm, confirm); err != nil {
		t.Errorf("confirmation on its last day: %v", err)
	}
	clock.Set(deskNow.Add(30*24*time.Hour + time.Second))
	if _, err := s.Check(desk.PurposeConfirm, confirm); !errors.Is(err, desk.ErrExpiredToken) {
		t.Errorf("confirmation after 30 days: %v, want expired", err)
	}
	clock.Set(deskNow.Add(10 * 365 * 24 * time.Hour))
	if got, err := s.Check(desk.PurposeLeave, leave); err != nil || got != id {
		t.Errorf("unsubscribe link after ten years: %d, %v; want it to work", got, err)
	}
}
