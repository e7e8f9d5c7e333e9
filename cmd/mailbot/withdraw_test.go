package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/betterdays/mailbot/store"
)

func TestSessionsCancel(t *testing.T) {
	path, st := bxDB(t)
	bxBook(t, st, "ann@example.org", "Ann", store.NewBooking{SessionID: "s-a", Places: 1, Source: "email"}, 0)
	bxBook(t, st, "bob@example.org", "Bob", store.NewBooking{SessionID: "s-a", Places: 1, Source: "email"}, 1)
	cancel := func(args ...string) (int, string, string) {
		t.Helper()
		env := map[string]string{"MAILBOT_DB": path, "MAILBOT_STAFF": "officer@example.org"}
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"sessions", "cancel"}, args...), func(k string) string { return env[k] }, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	if code, out, errs := cancel("s-a", "--reason", "The hall is flooded."); code != 0 || !strings.Contains(out, "s-a withdrawn; 2 people") {
		t.Fatalf("sessions cancel = %d, %q, %q", code, out, errs)
	}
	_, out, _ := bxExport(t, path, "--session", "s-a")
	for _, row := range bxRows(t, out) {
		if row[6] != "cancelled" {
			t.Errorf("after withdrawing, a booking is %q: %q", row[6], row)
		}
	}
	if code, out, _ := cancel("--reason", "again", "s-a"); code != 0 || !strings.Contains(out, "withdrawn already; nobody was told again") {
		t.Errorf("second sessions cancel = %d, %q", code, out)
	}
	if code, _, errs := cancel("nope"); code != 1 || !strings.Contains(errs, `no session "nope"`) {
		t.Errorf("sessions cancel of no session = %d, %q", code, errs)
	}
	if code, _, errs := cancel(); code == 0 || !strings.Contains(errs, "usage: mailbot sessions cancel ID") {
		t.Errorf("sessions cancel with no ID = %d, %q", code, errs)
	}
}
