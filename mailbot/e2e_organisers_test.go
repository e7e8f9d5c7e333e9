package mailbot

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/betterdays/mailbot/mailbot/calendar"
	"github.com/betterdays/mailbot/mailbot/desk"
)

const ebStaff = "officer@example.org"

// TestE2EOrganisers runs the organisers' side through the embedded mail
// server with real SMTP and IMAP clients: a link that comes after the
// booking, someone booked by phone, and a session withdrawn, with a
// reply "1" to the list of what else is on.
func TestE2EOrganisers(t *testing.T) {
	t.Parallel()
	ms := startMailSystem(t)
	svc, _ := startBot(t, ms.config(t, t.TempDir(), map[string]string{"MAILBOT_STAFF": ebStaff}))
	e := &ebBot{t: t, ms: ms, svc: svc}
	e.importTimetable(ebTimetable)
	ctx := context.Background()

	e.send(ebAnn, "Ann Lee", "Booking", "please book me on gardening together")
	conf := e.next(ebAnn, 1)
	conf.must(t, "You are booked on:", "About:  Plants and people", "To join: we will email you the link before the day.")

	const link = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_e2e"
	withLink := strings.Replace(ebTimetable, ebHeader, strings.TrimSuffix(ebHeader, "\n")+",joining\n", 1)
	withLink = strings.Replace(withLink, "A cup of tea and a chat\n", "A cup of tea and a chat,\n", 1)
	withLink = strings.Replace(withLink, "Plants and people\n", "Plants and people,\""+link+"\nPasscode: 4Gz9\"\n", 1)
	if res := e.importTimetable(withLink); res.Moved != 1 {
		t.Fatalf("import of the link: %+v, want 1 moved", res)
	}
	news := e.next(ebAnn, 2)
	news.must(t, "How to join was: not sent yet", "How to join now: "+link+", Passcode: 4Gz9")
	if _, ev := news.cal(t, calendar.Request); ev.URL != link || !strings.Contains(ev.Description, "Passcode: 4Gz9") {
		t.Errorf("updated invite: URL %q, DESCRIPTION %q", ev.URL, ev.Description)
	}

	if _, err := svc.Bot.AddBooking(ctx, TakenBooking{Name: "Mary Smith", Taken: desk.Taken{SessionID: "eb-2", Phone: "01305 123456"}}); err != nil {
		t.Fatal(err)
	}
	svc.Outbox.Wake()
	phone := e.next(ebStaff, 1)
	if !strings.HasPrefix(phone.Subject, "Please phone Mary Smith on 01305 123456") {
		t.Errorf("to staff: %q", phone.Subject)
	}
	phone.must(t, "You are booked on:", "Gardening together", link)

	if _, _, err := svc.Bot.Withdraw(ctx, "eb-2", "The gardener is ill."); err != nil {
		t.Fatal(err)
	}
	svc.Outbox.Wake()
	off := e.next(ebAnn, 3)
	off.must(t, "this session has been cancelled", "The team say: The gardener is ill.", "1. Coffee and conversation")
	if inv, ev := off.cal(t, calendar.Cancel); ev.Status != "CANCELLED" || !strings.Contains(inv.ContentType, "method=CANCEL") {
		t.Errorf("withdrawal's calendar part: %q, STATUS %q", inv.ContentType, ev.Status)
	}
	var subjects []string
	for _, m := range ms.WaitForMail(t, ebStaff, 3)[1:] {
		subjects = append(subjects, readSent(t, m.Raw).Subject)
	}
	slices.Sort(subjects)
	if len(subjects) != 2 || !strings.HasPrefix(subjects[0], "Please phone Mary Smith") || !strings.HasPrefix(subjects[1], "Withdrawn: Gardening together") {
		t.Errorf("staff got %q, want Mary's news to read out and the list of who was told", subjects)
	}

	e.reply(ebAnn, "Ann Lee", off, "1")
	e.next(ebAnn, 4).must(t, "You are booked on:", "Coffee and conversation")
	if got := e.bookings("eb-1"); !slices.Contains(got, ebAnn+" confirmed 1") {
		t.Errorf("eb-1 bookings %q, want Ann's", got)
	}
}
