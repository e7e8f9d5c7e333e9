package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/betterdays/mailbot/store"
)

func TestSessionsCancel(t *testing.T) {
	t.Parallel()
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

func TestBookingsAdd(t *testing.T) {
	t.Parallel()
	path, _ := bxDB(t)
	add := func(staff string, args ...string) (int, string, string) {
		t.Helper()
		env := map[string]string{"MAILBOT_DB": path, "MAILBOT_STAFF": staff}
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"bookings", "add"}, args...), func(k string) string { return env[k] }, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	if code, out, errs := add("officer@example.org", "--session", "s-a", "--name", "Mary Smith", "--phone", "01305 123456", "--places", "2"); code != 0 ||
		!strings.Contains(out, "Mary Smith booked on s-a; staff will be emailed what to tell them") {
		t.Fatalf("bookings add = %d, %q, %q", code, out, errs)
	}
	if code, out, _ := add("officer@example.org", "--session", "s-b", "--name", "Ann", "--email", "ann@example.org"); code != 0 || !strings.Contains(out, "they will be emailed") {
		t.Errorf("bookings add with email = %d, %q", code, out)
	}
	_, out, _ := bxExport(t, path)
	rows := bxRows(t, out)
	if len(rows) != 2 || rows[0][3] != "" || rows[0][4] != "Mary Smith" || rows[0][5] != "2" || rows[0][8] != "cli" || rows[0][9] != "01305 123456" || rows[1][3] != "ann@example.org" {
		t.Errorf("exported:\n%q", rows)
	}
	for _, tt := range []struct {
		staff string
		args  []string
		want  string
	}{
		{"", []string{"--session", "s-a", "--name", "Bob", "--phone", "01"}, "needs MAILBOT_STAFF"},
		{"officer@example.org", []string{"--session", "nope", "--name", "Bob", "--phone", "01"}, `no session "nope"`},
		{"officer@example.org", []string{"--name", "Bob"}, "usage: mailbot bookings add"},
		{"officer@example.org", []string{"--session", "s-a", "--name", "Bob", "--email", "bob"}, `"bob" is not an email address`},
	} {
		if code, _, errs := add(tt.staff, tt.args...); code == 0 || !strings.Contains(errs, tt.want) {
			t.Errorf("bookings add %q = %d, %q; want %q", tt.args, code, errs, tt.want)
		}
	}
}

func TestContributionsExport(t *testing.T) {
	t.Parallel()
	path, st := bxDB(t)
	ctx := context.Background()
	err := st.Write(ctx, func(tx *store.Tx) error {
		for _, c := range []struct {
			email, name, text string
			given             store.Consent
		}{
			{"ann@example.org", "Ann", "=HYPERLINK(\"x\") a lift would help", store.ConsentNamed},
			{"bob@example.org", "Bob", "More buses, please.", store.ConsentYes},
			{"cat@example.org", "Cat", "Not yet answered.", ""},
		} {
			id, err := tx.NotePerson(ctx, c.email, c.name, bxNow)
			if err != nil {
				return err
			}
			if _, _, err := tx.AddContribution(ctx, id, c.text, c.given, bxNow); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	export := func(args ...string) string {
		t.Helper()
		env := map[string]string{"MAILBOT_DB": path}
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"contributions", "export"}, args...), func(k string) string { return env[k] }, &stdout, &stderr); code != 0 {
			t.Fatalf("contributions export %q = %d: %s", args, code, stderr.String())
		}
		return stdout.String()
	}
	want := "received_at,name,email,consent,text\n" +
		"2027-06-01 09:30,Ann,ann@example.org,named,\"'=HYPERLINK(\"\"x\"\") a lift would help\"\n" +
		"2027-06-01 09:30,,,yes,\"More buses, please.\"\n"
	if got := export(); got != want {
		t.Errorf("contributions export:\n%s\nwant:\n%s", got, want)
	}
	if got := export("--named-only"); strings.Count(got, "\n") != 2 || !strings.Contains(got, "Ann") {
		t.Errorf("--named-only:\n%s", got)
	}
}
