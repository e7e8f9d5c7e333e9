package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailserver"
	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/betterdays/mailbot/store"
)

// TestSubscribersImport brings an officer's old list in with the binary:
// rows with evidence join with it, and the export shows it; someone who
// left is not put back; a file with a row lacking evidence is refused
// whole; with --ask those rows get one request each, sent by `run
// --once` through a real SMTP server, and a second import asks nobody
// again.
func TestSubscribersImport(t *testing.T) {
	t.Parallel()
	ms, err := mailserver.Start(mailserver.Options{SMTPAddr: "127.0.0.1:0", IMAPAddr: "127.0.0.1:0", Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "mailbot.db")
	env := []string{"MAILBOT_DB=" + db,
		"MAILBOT_IMAP=imap://" + botUser + "@" + ms.IMAPAddr(), "MAILBOT_SMTP=smtp://" + ms.SMTPAddr()}

	// Lee left the list before the import.
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = st.Write(ctx, func(tx *store.Tx) error {
		id, err := tx.NotePerson(ctx, "lee@example.org", "Lee", time.Now())
		if err == nil {
			err = tx.Confirm(ctx, id, "email", "reply", "<lee@x>", time.Now())
		}
		if err == nil {
			_, err = tx.Leave(ctx, id, "reply", time.Now())
		}
		return err
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	withEvidence := writeCSV(t, dir, "old.csv", "email,name,consented_at,source\r\n"+
		"ann@example.org,Ann Smith,14/03/2026,SharePoint sign-up form\r\n"+
		"Bob Jones <BOB@example.org>,,2026-02-01 10:30,paper form at the Weymouth event\r\n"+
		"lee@example.org,Lee,01/01/2026,SharePoint sign-up form\r\n")
	code, stdout, stderr := runCLIIn(t, dir, env, "subscribers", "import", withEvidence)
	if code != 0 || !strings.Contains(stdout, "2 added with the evidence") || !strings.Contains(stdout, "1 left the list") {
		t.Fatalf("import: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	// The contract's five columns, exactly, unless the evidence is asked for.
	code, stdout, _ = runCLIIn(t, dir, env, "subscribers", "export")
	if first, _, _ := strings.Cut(stdout, "\n"); code != 0 || strings.TrimSpace(first) != "email,name,status,consented_at,source" {
		t.Errorf("export: exit %d, header %q; want the contract's", code, first)
	}
	code, stdout, _ = runCLIIn(t, dir, env, "subscribers", "export", "--evidence")
	rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if code != 0 || err != nil {
		t.Fatalf("export --evidence: exit %d, %v\n%s", code, err, stdout)
	}
	if got := strings.Join(rows[0], ","); got != "email,name,status,consented_at,source,consent_how,consent_message_id" {
		t.Errorf("export --evidence header %q", got)
	}
	got := map[string][]string{}
	for _, r := range rows[1:] {
		got[r[0]] = r
	}
	if r := got["ann@example.org"]; len(r) != 7 || r[2] != "confirmed" || !strings.HasPrefix(r[3], "2026-03-14T00:00:00") ||
		r[4] != "import" || r[5] != "imported from old.csv, row 2: SharePoint sign-up form" {
		t.Errorf("Ann exported as %q", r)
	}
	if r := got["bob@example.org"]; len(r) != 7 || r[1] != "Bob Jones" || r[2] != "confirmed" {
		t.Errorf("Bob exported as %q", r)
	}
	if r := got["lee@example.org"]; len(r) != 7 || r[2] != "unsubscribed" {
		t.Errorf("Lee, who left, exported as %q", r)
	}

	noEvidence := writeCSV(t, dir, "older.csv", "email,name,consented_at,source\n"+
		"cat@example.org,Cat,,\n"+
		"dan@example.org,Dan,2026-01-05,\n"+
		"ann@example.org,Ann,,\n")
	code, _, stderr = runCLIIn(t, dir, env, "subscribers", "import", noEvidence)
	if code != 1 || !strings.Contains(stderr, "row 2, column consented_at: no evidence") || !strings.Contains(stderr, "row 3") ||
		!strings.Contains(stderr, "--ask") || !strings.Contains(stderr, "nothing changed") {
		t.Errorf("import without evidence: exit %d, stderr %q; want 1 naming rows 2 and 3 and --ask", code, stderr)
	}
	for range 2 {
		code, stdout, stderr = runCLIIn(t, dir, env, "subscribers", "import", "--ask", noEvidence)
		if code != 0 {
			t.Fatalf("import --ask: exit %d\n%s", code, stderr)
		}
		if code, _, stderr := runCLIIn(t, dir, env, "run", "--once"); code != 0 {
			t.Fatalf("run --once: exit %d\n%s", code, stderr)
		}
	}
	if !strings.Contains(stdout, "0 asked to confirm") || !strings.Contains(stdout, "2 asked to confirm before") {
		t.Errorf("second import --ask: %q; want nobody asked again", stdout)
	}
	for _, who := range []string{"cat@example.org", "dan@example.org"} {
		mail := mailtest.Mailbox(t, ms.IMAPAddr(), who)
		if len(mail) != 1 {
			t.Fatalf("%s got %d messages, want one request to confirm", who, len(mail))
		}
		for _, want := range []string{"Subject: Better Days mailing list: please confirm", "A member of the Better Days team asked us to add you", "reply", "YES"} {
			if !strings.Contains(string(mail[0].Raw), want) {
				t.Errorf("%s's request lacks %q:\n%s", who, want, mail[0].Raw)
			}
		}
	}
	if n := len(mailtest.Mailbox(t, ms.IMAPAddr(), "ann@example.org")); n != 0 {
		t.Errorf("Ann, on the list already, got %d messages", n)
	}

	// Dan asks to be forgotten: the old list, imported again, leaves him
	// out, and he is not recorded again.
	if code, _, stderr := runCLIIn(t, dir, env, "forget", "dan@example.org"); code != 0 {
		t.Fatalf("forget dan: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr = runCLIIn(t, dir, env, "subscribers", "import", "--ask", noEvidence)
	if code != 0 || !strings.Contains(stdout, "1 asked us to forget them") {
		t.Errorf("import after forget: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, _ := runCLIIn(t, dir, env, "export", "dan@example.org"); code != 0 || !strings.Contains(stdout, `"person": null`) {
		t.Errorf("Dan, forgotten, is known again after the import:\n%s", stdout)
	}

	// Her subject-access export says so; Cat's holds the request we sent.
	code, stdout, stderr = runCLIIn(t, dir, env, "export", "ann@example.org")
	if code != 0 || !strings.Contains(stdout, `"consent_how": "imported from old.csv, row 2: SharePoint sign-up form"`) {
		t.Errorf("export ann: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = runCLIIn(t, dir, env, "export", "Cat <cat@example.org>")
	if code != 0 || !strings.Contains(stdout, "A member of the Better Days team asked us to add you") {
		t.Errorf("export cat: exit %d\n%s", code, stdout)
	}
}

func writeCSV(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestExportsForExcel: --excel starts the file with a BOM and ends its
// lines in CRLF; without it, neither.
func TestExportsForExcel(t *testing.T) {
	t.Parallel()
	path, st := bxDB(t)
	st.Close()
	for _, args := range [][]string{{"bookings", "export"}, {"subscribers", "export"}} {
		_, plain, _ := runCLI(t, []string{"MAILBOT_DB=" + path}, args...)
		code, excel, stderr := runCLI(t, []string{"MAILBOT_DB=" + path}, append(args, "--excel")...)
		if code != 0 {
			t.Fatalf("%v --excel: exit %d\n%s", args, code, stderr)
		}
		if strings.HasPrefix(plain, "\ufeff") || strings.Contains(plain, "\r\n") {
			t.Errorf("%v: plain export has a BOM or CRLF: %q", args, plain)
		}
		if !strings.HasPrefix(excel, "\ufeff") || !strings.HasSuffix(excel, "\r\n") || strings.Contains(strings.ReplaceAll(excel, "\r\n", ""), "\n") {
			t.Errorf("%v --excel: %q; want a BOM and CRLF only", args, excel)
		}
		if strings.ReplaceAll(strings.TrimPrefix(excel, "\ufeff"), "\r\n", "\n") != plain {
			t.Errorf("%v: --excel differs in more than BOM and line ends", args)
		}
	}
}
