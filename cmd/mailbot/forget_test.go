package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/store"
)

// fgRun runs `mailbot forget` with args on the database at path.
func fgRun(t *testing.T, path string, args ...string) (int, string, string) {
	t.Helper()
	env := map[string]string{"MAILBOT_DB": path}
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"forget"}, args...), func(k string) string { return env[k] }, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestForgetCommand(t *testing.T) {
	t.Parallel()
	path, st := bxDB(t)
	ann := bxBook(t, st, "ann@example.org", "Ann Smith", store.NewBooking{SessionID: "s-a", Places: 2, Source: "email",
		Phone: "07700 900123", Needs: "I use a wheelchair"}, 0)
	bxBook(t, st, "carl@example.org", "Carl", store.NewBooking{SessionID: "s-a", Places: 1, Source: "staff"}, time.Minute)
	ctx := context.Background()
	err := st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Confirm(ctx, ann.PersonID, "email", "reply", "<yes@example.org>", bxNow); err != nil {
			return err
		}
		_, err := tx.RecordInbound(ctx, store.Inbound{Key: "<in1@example.org>", Mailbox: "INBOX", UIDValidity: 1, UID: 1,
			Sender: "ann@example.org", Subject: "Booking", ReceivedAt: bxNow, HandledAt: bxNow})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	_, before, _ := bxExport(t, path, "--session", "s-a")

	code, out, errOut := fgRun(t, path, "Ann@Example.org")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	for _, want := range []string{
		"Erased the details of Ann@Example.org:",
		`they now show as "(erased 1)" in bookings and attendee lists`,
		"1 booking kept without their phone or access needs, so the places still count",
		"their mailing list record, and the evidence of their consent",
		"1 message from them",
		"Checked: Ann@Example.org is now found nowhere in the database.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	_, after, _ := bxExport(t, path, "--session", "s-a")
	rows := bxRows(t, after)
	if len(rows) != len(bxRows(t, before)) || bxJoin(rows) == bxJoin(bxRows(t, before)) {
		t.Fatalf("export after:\n%s\nbefore:\n%s", after, before)
	}
	if got := strings.Join(rows[0][3:7], "|"); got != "(erased 1)||2|confirmed" {
		t.Errorf("her row = %q, want her 2 places kept without her", got)
	}
	if strings.Contains(after, "Ann") || strings.Contains(after, "07700") || strings.Contains(after, "wheelchair") {
		t.Errorf("export still holds her details:\n%s", after)
	}

	code, out, errOut = fgRun(t, path, "ann@example.org")
	if code != 0 || !strings.Contains(out, "Nothing is held about ann@example.org: nothing to erase.") {
		t.Errorf("second run: exit %d\n%s%s", code, out, errOut)
	}
}

func TestForgetCommandErrors(t *testing.T) {
	t.Parallel()
	path, st := bxDB(t)
	st.Close()
	for _, tc := range []struct {
		args []string
		code int // 2: the command line is wrong
		want string
	}{
		{nil, 2, "usage: mailbot forget EMAIL"},
		{[]string{"a@example.org", "b@example.org"}, 2, "usage: mailbot forget EMAIL"},
		{[]string{"not an address"}, 1, `"not an address" is not an email address`},
	} {
		code, _, errOut := fgRun(t, path, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("forget %q: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}
