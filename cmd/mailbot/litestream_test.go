package main

import (
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailtest"
)

// checkpointUnderTest is the setting the README gives for Litestream;
// with truncate the test fails (forget waits out Litestream's read lock).
var checkpointUnderTest = "passive"

// litestreamBinary is the Litestream to test with: $MAILBOT_LITESTREAM,
// or litestream on PATH. CI installs one (.ci/run) and sets
// MAILBOT_REQUIRE_LITESTREAM=1 so that this test cannot skip there.
func litestreamBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MAILBOT_LITESTREAM"); p != "" {
		return p
	}
	if p, err := exec.LookPath("litestream"); err == nil {
		return p
	}
	if os.Getenv("MAILBOT_REQUIRE_LITESTREAM") != "" {
		t.Fatal("no litestream: set MAILBOT_LITESTREAM or put it on PATH (.ci/run installs it)")
	}
	t.Skip("no litestream (set MAILBOT_LITESTREAM): replication under it not tested")
	return ""
}

// TestUnderLitestream runs the bot with MAILBOT_CHECKPOINT=passive while
// a real Litestream replicates its database to a file replica: the bot
// answers mail, `mailbot forget` erases someone (its checkpoint must not
// fight Litestream's hold on the write-ahead log), and the database
// restored from the replica holds what the bot did, without the person
// erased, and is sound.
func TestUnderLitestream(t *testing.T) {
	ls := litestreamBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "mailbot.db")
	replica := filepath.Join(dir, "replica")
	config := filepath.Join(dir, "litestream.yml")
	writeCSV(t, dir, "litestream.yml", "dbs:\n  - path: "+db+"\n    monitor-interval: 100ms\n    replicas:\n      - type: file\n        path: "+replica+"\n        sync-interval: 100ms\n")
	smtpAddr, imapAddr := closedPort(t), closedPort(t)
	env := []string{"MAILBOT_HTTP=127.0.0.1:0", "MAILBOT_DB=" + db, "MAILBOT_CHECKPOINT=" + checkpointUnderTest,
		"MAILBOT_EMBEDDED_SMTP=" + smtpAddr, "MAILBOT_EMBEDDED_IMAP=" + imapAddr}
	bot := startEmbedded(t, dir, env...)

	rep := exec.Command(ls, "replicate", "-config", config)
	var repLog lockedBuffer
	rep.Stdout, rep.Stderr = &repLog, &repLog
	if err := rep.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rep.Process.Kill(); rep.Wait() })
	// Litestream's first snapshot: what the bot does from here on reaches
	// the replica through the write-ahead log, past the bot's checkpoints.
	mailtest.WaitFor(t, "Litestream's first snapshot", func() bool {
		found, _ := filepath.Glob(filepath.Join(replica, "generations", "*", "snapshots", "*"))
		return len(found) > 0
	})

	for _, who := range []string{"pat@example.org", "sam@example.org"} {
		mailtest.Send(t, smtpAddr, who, "betterdays@localhost", "From: "+who+"\r\nSubject: help\r\nMessage-ID: <"+who+">\r\n\r\nhelp\r\n")
		mailtest.WaitForMail(t, imapAddr, who, 1)
	}
	start := time.Now()
	code, stdout, stderr := runCLIIn(t, dir, env, "forget", "sam@example.org")
	if code != 0 || !strings.Contains(stdout, "found nowhere") {
		t.Fatalf("forget under Litestream: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("forget took %v under Litestream: its checkpoint waited on Litestream's lock", took)
	}
	// Wait until the replica, restored, holds Pat's message and Sam's
	// erasure, the last thing done.
	restored := filepath.Join(dir, "restored.db")
	renv := []string{"MAILBOT_DB=" + restored}
	mailtest.WaitFor(t, "the replica to hold the erasure", func() bool {
		os.Remove(restored)
		if out, err := exec.Command(ls, "restore", "-config", config, "-o", restored, db).CombinedOutput(); err != nil {
			t.Logf("litestream restore: %v\n%s", err, out)
			return false
		}
		// Sam wrote, was answered, then erased: their person row stays,
		// as a placeholder, so that the erasure shows.
		rdb, err := sql.Open("sqlite3", "file:"+restored+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer rdb.Close()
		var erased int
		rdb.QueryRow(`SELECT count(*) FROM people WHERE email LIKE '(erased %'`).Scan(&erased)
		return erased == 1
	})
	bot.stop(t)
	rep.Process.Signal(syscall.SIGTERM)
	if err := waitTimeout(rep, 15*time.Second); err != nil {
		t.Logf("litestream replicate ended: %v", err)
	}

	code, stdout, stderr = runCLIIn(t, dir, renv, "export", "pat@example.org")
	if code != 0 || !strings.Contains(stdout, `"messages_from_them": [`) || !strings.Contains(stdout, "Hello") {
		t.Errorf("the restored database lacks Pat's message and our answer: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = runCLIIn(t, dir, renv, "export", "sam@example.org")
	if code != 0 || !strings.Contains(stdout, `"person": null`) || !strings.Contains(stdout, `"messages_from_them": []`) {
		t.Errorf("the restored database still holds Sam, erased before the last sync:\n%s", stdout)
	}
	if code, stdout, stderr = runCLIIn(t, dir, renv, "sessions", "list"); code != 0 || !strings.Contains(stdout, "Promoting independence") {
		t.Errorf("sessions list of the restored database: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
