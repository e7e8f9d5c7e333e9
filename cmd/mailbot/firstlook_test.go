package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailserver"
	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/emersion/go-imap/v2"
)

// TestRunFirstLook runs the binary on a new database against a mailbox
// with history, three messages read and two not: `run --once` answers
// the two and says it left three alone; `run --once --replay-seen` on
// another new database answers all five.
func TestRunFirstLook(t *testing.T) {
	t.Parallel()
	senders := []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org", "e@example.org"}
	for _, tc := range []struct {
		args      []string
		answered  int
		logWanted []string
	}{
		{[]string{"run", "--once"}, 2, []string{"level=WARN", "first look", "mailbox=INBOX", "left_alone=3", "--replay-seen"}},
		{[]string{"run", "--once", "--replay-seen"}, 5, []string{"first look", "mailbox=INBOX", "left_alone=0"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			ms, err := mailserver.Start(mailserver.Options{SMTPAddr: "127.0.0.1:0", IMAPAddr: "127.0.0.1:0", Logger: discardLogger()})
			if err != nil {
				t.Fatal(err)
			}
			defer ms.Close()
			for _, who := range senders {
				if err := ms.Deliver(who, botUser, []byte("From: "+who+"\r\nSubject: help\r\nMessage-ID: <"+who+">\r\n\r\nhelp\r\n")); err != nil {
					t.Fatal(err)
				}
			}
			mailtest.See(t, ms.IMAPAddr(), botUser, imap.UID(1), imap.UID(3), imap.UID(5))
			env := []string{
				"PATH=" + os.Getenv("PATH"),
				"MAILBOT_DB=" + filepath.Join(t.TempDir(), "mailbot.db"),
				"MAILBOT_IMAP=imap://" + botUser + "@" + ms.IMAPAddr(),
				"MAILBOT_SMTP=smtp://" + ms.SMTPAddr(),
			}
			code, stderr := runBinary(t, env, 30*time.Second, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", code, stderr)
			}
			answered := 0
			for _, who := range senders {
				answered += len(mailtest.Mailbox(t, ms.IMAPAddr(), who))
			}
			if answered != tc.answered {
				t.Errorf("%d answered, want %d; stderr:\n%s", answered, tc.answered, stderr)
			}
			var line string
			for _, l := range strings.Split(stderr, "\n") {
				if strings.Contains(l, "first look") {
					line = l
					break
				}
			}
			for _, w := range tc.logWanted {
				if !strings.Contains(line, w) {
					t.Errorf("the first look's log line lacks %q: %q", w, line)
				}
			}
		})
	}
}

// TestRunHelpListsReplaySeen: `run --help` names every flag and exits 0.
func TestRunHelpListsReplaySeen(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, nil, "run", "--help")
	if code != 0 {
		t.Errorf("run --help: exit %d, want 0; stderr:\n%s", code, stderr)
	}
	for _, w := range []string{"-once", "-replay-seen", "Seen"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("run --help lacks %q:\n%s", w, stdout)
		}
	}
}
