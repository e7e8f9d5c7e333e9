package understand

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestSubjectIsBounded: every pattern the bot looks for reads the subject,
// so a subject of any size is kept to a line's worth, cut between
// characters, not inside one.
func TestSubjectIsBounded(t *testing.T) {
	t.Parallel()
	for _, word := range []string{"help", "café", "日本語"} {
		long := strings.Repeat(word+" ", 50000)
		var folded strings.Builder
		for i, w := range strings.Fields(long) {
			if i > 0 && i%10 == 0 {
				folded.WriteString("\r\n")
			}
			folded.WriteString(" " + w)
		}
		m, _ := Parse([]byte("From: a@example.org\r\nSubject:" + folded.String() + "\r\n\r\nhi\r\n"))
		if len(m.Subject) > maxSubjectBytes || !utf8.ValidString(m.Subject) || !strings.HasPrefix(m.Subject, word+" "+word) {
			t.Errorf("a %d-byte subject of %q read as %d bytes (valid UTF-8 %v), want at most %d starting with the words",
				len(long), word, len(m.Subject), utf8.ValidString(m.Subject), maxSubjectBytes)
		}
	}
	m, _ := Parse([]byte("From: a@example.org\r\nSubject: Cancel 15 July please\r\n\r\nhi\r\n"))
	if m.Subject != "Cancel 15 July please" {
		t.Errorf("a short subject read as %q", m.Subject)
	}
}
