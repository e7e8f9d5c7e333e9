package mailbot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/betterdays/mailbot/mailbot/mailserver"
	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// seedMailbox delivers a "help" from each of senders to the bot's INBOX,
// in order, and flags \Seen those whose index is in seen, as mail read
// before the bot's database existed. It returns the messages' UIDs.
func seedMailbox(t *testing.T, ms *mailserver.Server, senders []string, seen ...int) []imap.UID {
	t.Helper()
	for _, who := range senders {
		if err := ms.Deliver(who, botAddress, []byte(message(who, "help", who+".old", "help"))); err != nil {
			t.Fatal(err)
		}
	}
	var uids []imap.UID
	for _, m := range mailtest.Mailbox(t, ms.IMAPAddr(), botAddress) {
		uids = append(uids, m.UID)
	}
	if len(uids) != len(senders) {
		t.Fatalf("mailbox holds %d messages, want %d", len(uids), len(senders))
	}
	var read []imap.UID
	for _, i := range seen {
		read = append(read, uids[i])
	}
	if len(read) > 0 {
		mailtest.See(t, ms.IMAPAddr(), botAddress, read...)
	}
	return uids
}

// onceWith runs `mailbot run --once` (with --replay-seen when replay) on
// cfg, and returns its log.
func onceWith(t *testing.T, cfg Config, replay bool) string {
	t.Helper()
	var logs lockedBuffer
	var w io.Writer = &logs
	if testing.Verbose() {
		w = io.MultiWriter(&logs, os.Stderr)
	}
	svc, err := NewService(context.Background(), cfg, SystemClock, slog.New(slog.NewTextHandler(w, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	svc.Inbox.ReplaySeen = replay
	if err := svc.Once(context.Background()); err != nil {
		t.Fatalf("once: %v\n%s", err, logs.String())
	}
	return logs.String()
}

// replies counts the mail each of who has had from the bot.
func replies(t *testing.T, ms *mailserver.Server, who []string) string {
	t.Helper()
	var b strings.Builder
	for _, p := range who {
		fmt.Fprintf(&b, "%s:%d ", strings.TrimSuffix(p, "@example.org"), len(mailtest.Mailbox(t, ms.IMAPAddr(), p)))
	}
	return strings.TrimSpace(b.String())
}

var fiveSenders = []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org", "e@example.org"}

// TestFirstLookLeavesReadMailAlone points a new database at a mailbox
// with history: three messages read before (between and after the unread
// ones), two not. Only the two are answered, the log says three were left
// alone and how to have them handled, and a later run leaves them alone
// too; --replay-seen then handles them, once.
func TestFirstLookLeavesReadMailAlone(t *testing.T) {
	t.Parallel()
	ms := startMailServer(t)
	seedMailbox(t, ms, fiveSenders, 0, 2, 4) // a, c and e were read
	cfg := e2eConfig(t, ms, t.TempDir(), nil)

	logs := onceWith(t, cfg, false)
	if got, want := replies(t, ms, fiveSenders), "a:0 b:1 c:0 d:1 e:0"; got != want {
		t.Errorf("after the first look replies are %s, want %s", got, want)
	}
	line := logLine(logs, "first look")
	for _, want := range []string{"level=WARN", "mailbox=INBOX", "left_alone=3", "to_handle=2", "--replay-seen"} {
		if !strings.Contains(line, want) {
			t.Errorf("first look's log line lacks %q:\n%s", want, line)
		}
	}
	if n := queryInt(t, cfg, `SELECT count(*) FROM inbound`); n != 2 {
		t.Errorf("inbound records = %d, want 2: what is left alone is not recorded as handled", n)
	}
	// e, the newest, was left alone: stepped over, so that a look does not
	// list it again every time.
	if last := queryInt(t, cfg, `SELECT last_uid FROM mailbox_state`); last != 5 {
		t.Errorf("last UID = %d, want 5", last)
	}

	onceWith(t, cfg, false)
	if got, want := replies(t, ms, fiveSenders), "a:0 b:1 c:0 d:1 e:0"; got != want {
		t.Errorf("after a second run replies are %s, want %s", got, want)
	}
	logs = onceWith(t, cfg, true)
	if got, want := replies(t, ms, fiveSenders), "a:1 b:1 c:1 d:1 e:1"; got != want {
		t.Errorf("after --replay-seen replies are %s, want %s", got, want)
	}
	if !strings.Contains(logs, "messages=3") {
		t.Errorf("--replay-seen does not say it handled 3:\n%s", logs)
	}
	onceWith(t, cfg, true)
	onceWith(t, cfg, false)
	if got, want := replies(t, ms, fiveSenders), "a:1 b:1 c:1 d:1 e:1"; got != want {
		t.Errorf("after more runs replies are %s, want %s", got, want)
	}
}

// TestFirstLookReplaySeen is the old behaviour, asked for: every message
// answered.
func TestFirstLookReplaySeen(t *testing.T) {
	t.Parallel()
	ms := startMailServer(t)
	seedMailbox(t, ms, fiveSenders, 0, 2, 4)
	cfg := e2eConfig(t, ms, t.TempDir(), nil)
	logs := onceWith(t, cfg, true)
	if got, want := replies(t, ms, fiveSenders), "a:1 b:1 c:1 d:1 e:1"; got != want {
		t.Errorf("with --replay-seen replies are %s, want %s", got, want)
	}
	if line := logLine(logs, "first look"); !strings.Contains(line, "left_alone=0") || !strings.Contains(line, "--replay-seen") {
		t.Errorf("first look's log line = %q, want it to say nothing was left alone, by --replay-seen", line)
	}
}

// failFirst fails the first batch it is given, as a power cut after the
// first look would.
type failFirst struct {
	Handler
	failed bool
}

func (f *failFirst) HandleBatch(ctx context.Context, b *Batch) (int, error) {
	if !f.failed {
		f.failed = true
		return 0, errors.New("power cut")
	}
	return f.Handler.HandleBatch(ctx, b)
}

// TestFirstLookSurvivesCrash: a first look cut off before it handled
// anything has still recorded what to leave alone, so the next run, no
// longer a first look, does not answer the mail read before.
func TestFirstLookSurvivesCrash(t *testing.T) {
	t.Parallel()
	ms := startMailServer(t)
	seedMailbox(t, ms, fiveSenders, 0, 2, 4)
	cfg := e2eConfig(t, ms, t.TempDir(), nil)
	svc, err := NewService(context.Background(), cfg, SystemClock, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	in := NewInbox(svc.Config, svc.Store, &failFirst{Handler: svc.Bot}, testLogger(t))
	if err := in.Once(context.Background()); err == nil || !strings.Contains(err.Error(), "power cut") {
		t.Fatalf("first look with a failing handler: %v, want the power cut", err)
	}
	svc.Close()

	onceWith(t, cfg, false)
	if got, want := replies(t, ms, fiveSenders), "a:0 b:1 c:0 d:1 e:0"; got != want {
		t.Errorf("after a cut-off first look and a run, replies are %s, want %s", got, want)
	}
}

// TestFirstLookProcessedFolder: with MAILBOT_PROCESSED_FOLDER handled
// mail is moved out of INBOX, so on a first look everything still there
// is handled, read or not, and what is in the folder is left alone.
func TestFirstLookProcessedFolder(t *testing.T) {
	t.Parallel()
	ms := startMailServer(t)
	uids := seedMailbox(t, ms, fiveSenders, 0, 1)
	moveTo(t, ms, "Handled", uids[3], uids[4]) // d and e were handled before
	cfg := e2eConfig(t, ms, t.TempDir(), map[string]string{"MAILBOT_PROCESSED_FOLDER": "Handled"})
	logs := onceWith(t, cfg, false)
	if got, want := replies(t, ms, fiveSenders), "a:1 b:1 c:1 d:0 e:0"; got != want {
		t.Errorf("replies are %s, want %s", got, want)
	}
	line := logLine(logs, "first look")
	for _, want := range []string{"mailbox=INBOX", "folder=Handled", "left_alone=2", "to_handle=3", "move one back"} {
		if !strings.Contains(line, want) {
			t.Errorf("first look's log line lacks %q:\n%s", want, line)
		}
	}
}

// TestRestoredBackupReplaysOnce: a database restored from a backup knows
// the mailbox, so it is no first look: what came after the backup is
// handled again (its effects were lost with the newer database), once,
// though it is \Seen now, and what came before is not.
func TestRestoredBackupReplaysOnce(t *testing.T) {
	t.Parallel()
	ms := startMailServer(t)
	cfg := e2eConfig(t, ms, t.TempDir(), nil)
	seedMailbox(t, ms, fiveSenders[:1])
	onceWith(t, cfg, false)
	backup := filepath.Join(t.TempDir(), "backup.db")
	vacuumInto(t, cfg.DB, backup)

	for _, who := range fiveSenders[1:3] {
		if err := ms.Deliver(who, botAddress, []byte(message(who, "help", who+".new", "help"))); err != nil {
			t.Fatal(err)
		}
	}
	onceWith(t, cfg, false)
	if got, want := replies(t, ms, fiveSenders[:3]), "a:1 b:1 c:1"; got != want {
		t.Fatalf("before the restore replies are %s, want %s", got, want)
	}
	for _, f := range []string{cfg.DB, cfg.DB + "-wal", cfg.DB + "-shm"} {
		os.Remove(f)
	}
	copyFile(t, backup, cfg.DB)

	logs := onceWith(t, cfg, false)
	if strings.Contains(logs, "first look") {
		t.Errorf("a restored database took its look for a first one:\n%s", logs)
	}
	if got, want := replies(t, ms, fiveSenders[:3]), "a:1 b:2 c:2"; got != want {
		t.Errorf("after the restore replies are %s, want %s", got, want)
	}
	onceWith(t, cfg, false)
	if got, want := replies(t, ms, fiveSenders[:3]), "a:1 b:2 c:2"; got != want {
		t.Errorf("after another run replies are %s, want %s", got, want)
	}
}

// TestUIDValidityChangeIsNoFirstLook: a mailbox whose UIDVALIDITY changed
// is read whole again, as before: what this database handled is known by
// Message-ID, and what it never saw is handled even if someone read it.
func TestUIDValidityChangeIsNoFirstLook(t *testing.T) {
	t.Parallel()
	ms := startMailServer(t)
	cfg := e2eConfig(t, ms, t.TempDir(), nil)
	seedMailbox(t, ms, fiveSenders[:1])
	onceWith(t, cfg, false)
	if err := ms.Deliver("b@example.org", botAddress, []byte(message("b@example.org", "help", "b.new", "help"))); err != nil {
		t.Fatal(err)
	}
	mailtest.See(t, ms.IMAPAddr(), botAddress, 2)
	db, err := sql.Open("sqlite3", cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE mailbox_state SET uid_validity = uid_validity + 1`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	logs := onceWith(t, cfg, false)
	if !strings.Contains(logs, "UIDVALIDITY changed") || strings.Contains(logs, "first look") {
		t.Errorf("want the UIDVALIDITY change logged, and no first look:\n%s", logs)
	}
	if got, want := replies(t, ms, fiveSenders[:2]), "a:1 b:1"; got != want {
		t.Errorf("replies are %s, want %s", got, want)
	}
}

// logLine is the first line of logs containing s, or "".
func logLine(logs, s string) string {
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// queryInt is the one number query finds in cfg's database.
func queryInt(t *testing.T, cfg Config, query string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// moveTo moves the messages at uids from the bot's INBOX to folder,
// creating it.
func moveTo(t *testing.T, ms *mailserver.Server, folder string, uids ...imap.UID) {
	t.Helper()
	cfg := e2eConfig(t, ms, t.TempDir(), nil)
	c, err := dialIMAP(context.Background(), cfg.IMAP, imapclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(folder, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Move(imap.UIDSetNum(uids...), folder).Wait(); err != nil {
		t.Fatal(err)
	}
}

// vacuumInto copies the database at src to dst as a backup tool would,
// consistent while it is in use.
func vacuumInto(t *testing.T, src, dst string) {
	t.Helper()
	db, err := sql.Open("sqlite3", src)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`VACUUM INTO ?`, dst); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
