package realmail

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// waitTimeout bounds every wait for a log line.
const waitTimeout = 20 * time.Second

// WaitForLog waits until a line of Dovecot's or Postfix's log matches re
// and returns it: the one way to see what a server decided not to do.
func (s *Servers) WaitForLog(t testing.TB, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		for _, f := range []string{"dovecot.log", "postfix.log"} {
			b, _ := os.ReadFile(filepath.Join(s.Dir, f))
			if line := re.Find(b); line != nil {
				return string(line)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line matching %s after %v", re, waitTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Logs is the tail of every server log, for a failure's report.
func (s *Servers) Logs() string {
	var b strings.Builder
	for _, f := range []string{"dovecot.out", "dovecot.log", "postfix.out", "postfix.log"} {
		data, err := os.ReadFile(filepath.Join(s.Dir, f))
		if err != nil || len(data) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		fmt.Fprintf(&b, "--- %s (last %d lines)\n%s\n", f, len(lines), strings.Join(lines, "\n"))
	}
	return b.String()
}
