package mailbot

import (
	"strings"
	"testing"

	"github.com/betterdays/mailbot/mailbot/mailserver"
)

// TestUIDsBackwardsLogged: a mail server that starts a mailbox again from
// UID 1 under the UIDVALIDITY the database remembers (the embedded server
// did, on every restart) gets an error in the log naming it, not silence.
func TestUIDsBackwardsLogged(t *testing.T) {
	t.Parallel()
	start := func() *mailserver.Server {
		ms, err := mailserver.Start(mailserver.Options{SMTPAddr: "127.0.0.1:0", IMAPAddr: "127.0.0.1:0", Logger: testLogger(t), UIDValidity: 7})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ms.Close() })
		return ms
	}
	dir := t.TempDir()
	ms := start()
	seedMailbox(t, ms, fiveSenders[:2])
	if logs := onceWith(t, e2eConfig(t, ms, dir, nil), false); strings.Contains(logs, "went backwards") {
		t.Fatalf("a first look logs UIDs going backwards:\n%s", logs)
	}
	ms.Close()

	ms = start()
	seedMailbox(t, ms, fiveSenders[2:3])
	line := logLine(onceWith(t, e2eConfig(t, ms, dir, nil), false), "went backwards")
	for _, want := range []string{"level=ERROR", "uidvalidity=8", "last_uid_handled=2", "uidnext=2"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %q", line, want)
		}
	}
}
