package templates

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// samples gives every message kind the data its golden files show. A new
// template without a sample fails TestGolden.
var samples = map[string]any{
	"help":      Help{Name: "Mary Jones"},
	"too-large": TooLarge{Name: "", Size: "12 MB", Limit: "5 MB"},
	"answer": Answer{
		Name:     "Mary",
		Asked:    `book "15 July", "the August one" and "1 December", for 2`,
		Booked:   []Event{sampleEvent},
		Waiting:  []Event{{Title: "Promoting independence", When: "Tuesday 29 June 2027, 2pm to 3pm", Where: "Online (Microsoft Teams)", Places: 1, Position: 3}},
		NotFound: []string{"1 December"},
		Choices: []Choice{
			{Number: 1, Title: "New to caring? What support do you need?", When: "Tuesday 10 August 2027, 10am to 11am", Where: "Online (Microsoft Teams)", Left: 1},
			{Number: 2, Title: "By your side - enjoying our time together", When: "Thursday 26 August 2027, 10am to 11am", Where: "Weymouth community centre, main hall", Full: true},
		},
		ChooseFor: "which", Which: "the August one", Places: 2,
	},
	"promoted": Promoted{Name: "Sam", Event: sampleEvent},
	"access":   Access{Name: "Mary", Stage: StageAsk},
	"changed":  Changed{Name: "", Event: sampleEvent},
	"digest": Digest{Since: "8am on Monday 14 June 2027",
		Handoffs:  []DigestHandoff{{From: "Gail Trim <gail@example.org>", Subject: "Can someone ring me?", At: "9:12am on Monday 14 June"}},
		ToPhone:   []DigestLine{{Title: "Learning new skills", When: "Tuesday 6 July 2027, 10am to 11am", Who: "Mary Smith", Places: 1, Phone: "01305 123456"}},
		NoJoining: []DigestLine{{Title: "Promoting independence", When: "Tuesday 29 June 2027, 2pm to 3pm"}},
		Booked:    []DigestLine{{Title: "New to caring? What support do you need?", When: "Tuesday 10 August 2027, 10am to 11am", Who: "Ann Lee <ann@example.org>", Places: 2}},
		Waiting:   []DigestLine{{Title: "By your side", When: "Thursday 26 August 2027, 10am to 11am", Who: "Bob Jones <bob@example.org>", Places: 1}},
		Cancelled: []DigestLine{{Title: "Learning new skills", When: "Tuesday 6 July 2027, 10am to 11am", Who: "Sam Patel <sam@example.org>", Places: 1}},
	},
	"withdrawn": Withdrawn{Name: "Mary", Event: sampleEvent, Reason: "Our speaker is unwell. We are sorry, and hope to run it again in September.",
		Choices: []Choice{
			{Number: 1, Title: "Learning new skills", When: "Tuesday 6 July 2027, 10am to 11am", Where: "Dorchester library, meeting room 2", Left: 25, ID: "bd-2027-03"},
			{Number: 2, Title: "By your side - enjoying our time together", When: "Thursday 26 August 2027, 10am to 11am", Where: "Weymouth community centre, main hall", Full: true, ID: "bd-2027-08"},
		}},
	"withdrawn-staff": WithdrawnStaff{Title: "Learning new skills", When: "Tuesday 6 July 2027, 10am to 11am", Reason: "The library is flooded.",
		Confirmed: []Attendee{{Name: "Mary Jones", Email: "mary@example.org", Phone: "07700 900123", Places: 2, Needs: "wheelchair"}}},
	"by-phone": ByPhone{Name: "Mary Smith", Phone: "01305 123456", Subject: "Reminder: Learning new skills, Tuesday 6 July 2027, 10am to 11am",
		Text: "Hello Mary,\n\nA reminder that you are booked on this, in 2 hours:\n\nLearning new skills\n  When:   Tuesday 6 July 2027, 10am to 11am\n"},
	"thanks":       Thanks{Name: "Mary", Ask: true, Consent: "asked"},
	"bulk-resumed": BulkResumed{Name: "Jo", Resumed: true},
	"reminder":     Reminder{Name: "Mary", Event: sampleEvent, Soon: "in 2 days"},
	"attendees": Attendees{Title: sampleEvent.Title, When: sampleEvent.When, Where: sampleEvent.Where, Capacity: 20,
		Confirmed: []Attendee{{Name: "Mary Jones", Email: "mary@example.org", Places: 2, Phone: "01305 221000", Needs: "I use a wheelchair"}, {Name: "", Email: "sam@example.org", Places: 1}}},
	"newsletter": sampleNewsletter,
	"acted-for":  ActedFor{Name: "Jo", For: "Jane Smith <jane@example.org>", Sent: "Hello Jane,\n\nA member of the Better Days team asked me to book \"new to caring\" for you.\n"},
	"handoff": Handoff{From: "Mary Jones <mary@example.org>", Subject: "Re: Your booking", Summary: "I couldn't tell what they would like.",
		Urgent: []string{"unsafe"}, Did: "I told them a member of the team will reply.", Phone: "07700 900123", Text: "I don't feel unsafe <b>at home</b> but I need to talk."},
	"bulk-paused": BulkPaused{People: 6, Window: "24 hours", Said: []Refusal{
		{Rcpt: "mary@gmail.example", Reason: "authfailure", Said: "550 5.7.26 Unauthenticated email from council.example is not accepted due to domain's DMARC policy"},
		{Rcpt: "sam@outlook.example", Reason: "blocked", Said: "550 5.7.606 Access denied, banned sending IP [192.0.2.1]"}},
		SetUp: []string{"SPF, DKIM or DMARC: the receiving servers could not prove the mail came from the council's domain", "a block list or the sending IP address's reputation"}},
	"bounce-staff":     BounceStaff{Kind: "unread", Rcpt: "mary@example.org", Counted: "a temporary failure (1 of 3 within 30 days)"},
	"newsletter-staff": NewsletterStaff{Name: "Jo", Stage: "preview", Subject: "August news", Recipients: 1234, Preview: sampleNewsletter},
	"prove": Prove{Name: "Mary", Stage: "ask", PassedOn: true, Urgent: true, Risks: []Risk{
		{Do: "cancel your place on", Title: "Learning new skills", When: "Tuesday 6 July 2027, 10am to 11am"},
		{Do: "book 3 places on", Title: "By your side - enjoying our time together", When: "Thursday 26 August 2027, 10am to 11am"},
		{Do: "join our mailing list"}}},
}

var sampleNewsletter = Newsletter{
	Name: "Mary", Text: "# August news\n\nThree new sessions <b>this</b> month.\n",
	HTML:     "<h1>August news</h1>\n<p>Three new sessions &lt;b&gt;this&lt;/b&gt; month.</p>\n",
	LeaveURL: "https://betterdays.example.org/list/leave/abc123",
}

// variants are further samples of a template, each with golden files of
// its own name: every branch of the answer a person can get.
var variants = map[string]struct {
	template string
	data     any
}{
	"answer-sorry": {"answer", Answer{Name: "Len", Sorry: true, Cancelled: []Event{
		{Title: "Better Days: what makes a good day?", When: "Tuesday 22 June 2027, 10am to 11am", Where: "Online (Microsoft Teams)"}}}},
	"answer-left-waiting": {"answer", Answer{Name: "Linda", Asked: "to cancel a place", LeftWaiting: []Event{
		{Title: "By your side - enjoying our time together", When: "Thursday 26 August 2027, 10am to 11am", Where: "Weymouth community centre, main hall"}}}},
	"answer-cancel": {"answer", Answer{Name: "Ann", Asked: "to cancel a booking", NotFound: []string{"3 March"},
		ChooseFor: "cancel", Choices: []Choice{
			{Number: 1, Title: "New to caring? What support do you need?", When: "Tuesday 10 August 2027, 10am to 11am", Where: "Online (Microsoft Teams)"},
			{Number: 2, Title: "By your side - enjoying our time together", When: "Thursday 26 August 2027, 10am to 11am", Where: "Weymouth community centre, main hall"},
		}}},
	"changed-waiting":  {"changed", Changed{Name: "Sam", Event: Event{Title: "By your side", When: "Thursday 26 August 2027, 10am to 11am", Where: "Weymouth", Places: 1, Position: 2}}},
	"answer-cancelled": {"answer", Answer{Name: "Ann", Cancelled: []Event{sampleEvent}}},
	"answer-move-waiting": {"answer", Answer{Asked: "to move to the August one",
		Waiting: []Event{{Title: "By your side", When: "Thursday 26 August 2027, 10am to 11am", Where: "Weymouth", Places: 1, Position: 1}},
		StillOn: []Event{sampleEvent}}},
	"access-done": {"access", Access{Name: "Mary", Stage: StageDone}},
	"answer-list-left-out": {"answer", Answer{Name: "Phil", Asked: "which sessions are coming up", ChooseFor: "book", LeftOut: true, Choices: []Choice{
		{Number: 1, Title: "Giving my carers a break and doing what I want to do", When: "Thursday 15 July 2027, 1pm to 2pm", Where: "Online (Microsoft Teams)", Left: 20},
	}}},
	"answer-list-declined-kept": {"answer", Answer{Name: "Walter", List: "declined", KeptIfNo: []Event{sampleEvent}}},
	"answer-resized":            {"answer", Answer{Name: "Alan", Resized: []Event{{Title: "By your side", When: "Thursday 26 August 2027, 10am to 11am", Where: "Weymouth", Places: 2}}}},
	"answer-resized-to-one":     {"answer", Answer{Name: "Alan", Resized: []Event{{Title: "By your side", When: "Thursday 26 August 2027, 10am to 11am", Where: "Weymouth", Places: 1}}}},
	"answer-no-room":            {"answer", Answer{Name: "Alan", NoRoom: []Event{sampleEvent}}},
	"answer-still-coming":       {"answer", Answer{Name: "Ann", StillOn: []Event{sampleEvent}}},
	"answer-taken":              {"answer", Answer{Taken: []Event{{Title: "One-to-one", When: "Monday 2 August 2027, 10am to 10:30am", Where: "Phone call", Dropin: true}}, ChooseFor: "dropin", Choices: []Choice{{Number: 1, Title: "One-to-one", When: "Monday 2 August 2027, 11am to 11:30am", Where: "Phone call", Left: 1}}}},
	"answer-no-slots":           {"answer", Answer{NoSlots: true, PassedOn: true, ChooseFor: "dropin", Choices: []Choice{{Number: 1, Title: "One-to-one", When: "Monday 2 August 2027, 11am to 11:30am", Where: "Phone call", Left: 1}}}},
	"answer-list-offer":         {"answer", Answer{Name: "Ann", Booked: []Event{sampleEvent}, List: "offer"}},
	"answer-list-confirm":       {"answer", Answer{Name: "Ann", Asked: "to join our mailing list", List: "confirm", ConfirmURL: "https://betterdays.example.org/list/join/abc123"}},
	"answer-list-confirm-staff": {"answer", Answer{Name: "Jane", List: "confirm", ByStaff: true, ConfirmURL: "https://betterdays.example.org/list/join/abc123"}},
	"answer-by-staff":           {"answer", Answer{Name: "Jane", Asked: `to book "new to caring"`, ByStaff: true, Booked: []Event{sampleEvent}, List: "offer"}},
	"answer-passed-on":          {"answer", Answer{Name: "Ann", PassedOn: true, Urgent: true}},
	"acted-for-not-understood":  {"acted-for", ActedFor{Name: "Jo", For: "Jane Smith <jane@example.org>", NotUnderstood: true}},
	"acted-for-passed-on":       {"acted-for", ActedFor{Name: "Sam", For: "Colin Hext <colin@example.org>", NotUnderstood: true, PassedOn: true}},
	"acted-for-no-one":          {"acted-for", ActedFor{Name: "Jo", NoOne: true}},
	"acted-for-urgent":          {"acted-for", ActedFor{Name: "Jo", For: "jane@example.org", Urgent: []string{"unsafe", "hurt"}, Sent: "Hello Jane,\n"}},
	"acted-for-not-sent":        {"acted-for", ActedFor{Name: "Jo", For: "jane@example.org", Why: "I asked them to confirm joining the mailing list less than a day ago"}},
	"answer-list-joined":        {"answer", Answer{Name: "Ann", List: "joined"}},
	"answer-list-already":       {"answer", Answer{List: "already"}},
	"answer-list-left":          {"answer", Answer{Name: "Ann", Asked: "to leave our mailing list", List: "left", HasBookings: true}},
	"answer-list-not-on":        {"answer", Answer{List: "not-on"}},
	"answer-list-declined":      {"answer", Answer{List: "declined"}},
	"newsletter-sending":        {"newsletter-staff", NewsletterStaff{Name: "Jo", Stage: "sending", Subject: "August news", Recipients: 1, Finish: "by about 3pm tomorrow"}},
	"bounce-staff-complaints":   {"bounce-staff", BounceStaff{Kind: "complaints", Subject: "August news", Complaints: 4, Sent: 1000, Rate: "0.4%"}},
	"newsletter-cancelled":      {"newsletter-staff", NewsletterStaff{Stage: "cancelled", Subject: "August news"}},
	"answer-nothing":            {"answer", Answer{NoSessions: true, NoBookings: true, Already: []Event{sampleEvent}, Started: []Event{sampleEvent}}},
	"answer-withdrawn":          {"answer", Answer{Asked: "to book 1", Withdrawn: []Event{sampleEvent}}},
	"answer-facts": {"answer", Answer{Name: "Ann", Facts: []Fact{
		{Say: "It finishes at 2pm:", Event: Event{Title: sampleEvent.Title, When: sampleEvent.When, Where: sampleEvent.Where}},
		{Say: "There are 3 places left on:", Event: Event{Title: "Learning new skills", When: "Tuesday 6 July 2027, 10am to 11am", Where: "Dorchester library, meeting room 2"}}}}},
	"help-urgent":     {"help", Help{NotUnderstood: true, Urgent: true}},
	"answer-too-many": {"answer", Answer{Name: "Ann", Asked: `to book "new to caring", for 10 people`, TooManyPlaces: 4}},
	// What someone needs to get there: the description, and the joining
	// details, or word that they will come.
	"answer-joining": {"answer", Answer{Name: "Ann", Booked: []Event{{
		Title: "New to caring? What support do you need?", When: "Tuesday 10 August 2027, 10am to 11am", Where: "Online (Microsoft Teams)", Places: 1,
		About:   "For people who have recently become carers: what helped, what didn't, and what would make a difference.",
		Joining: []string{"https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc", "Meeting ID: 345 678 901", "Passcode: Xy7kP2"}}}}},
	"reminder-join-later": {"reminder", Reminder{Name: "Mary", Soon: "in 2 days", Event: Event{
		Title: "Accessing the local community", When: "Wednesday 21 July 2027, 11am to 12pm", Where: "Online (Microsoft Teams)", Places: 1, JoinLater: true}}},
	"changed-was-now": {"changed", Changed{Name: "Sam", Now: "in person",
		Event: Event{Title: "Learning new skills", When: "Tuesday 6 July 2027, 2pm to 3pm", Where: "Dorchester library, meeting room 2", Places: 1},
		Changes: []Change{
			{What: "When", Was: "Tuesday 6 July 2027, 1pm to 2pm", Now: "Tuesday 6 July 2027, 2pm to 3pm"},
			{What: "Where", Was: "Online (Microsoft Teams)", Now: "Dorchester library, meeting room 2"},
		}}},
	"changed-joining": {"changed", Changed{Name: "Sam",
		Event:   Event{Title: "Promoting independence", When: "Tuesday 29 June 2027, 2pm to 3pm", Where: "Online (Microsoft Teams)", Places: 1, Joining: []string{"https://teams.microsoft.com/l/meetup-join/19%3ameeting_def", "Passcode: 7QpL"}},
		Changes: []Change{{What: "How to join", Was: "not sent yet", Now: "https://teams.microsoft.com/l/meetup-join/19%3ameeting_def, Passcode: 7QpL"}}}},
	"thanks-named":  {"thanks", Thanks{Name: "Mary", Answered: "named"}},
	"thanks-no":     {"thanks", Thanks{Answered: "no"}},
	"thanks-again":  {"thanks", Thanks{Name: "Sam", Consent: "yes"}},
	"prove-kept":    {"prove", Prove{Stage: "kept", Risks: []Risk{{Do: "join our mailing list"}}}},
	"prove-expired": {"prove", Prove{Name: "Mary", Stage: "expired", Risks: []Risk{{Do: "give up your place on the waiting list for", Title: "Learning new skills", When: "Tuesday 6 July 2027, 10am to 11am"}}}},
}

var sampleEvent = Event{
	Title: "Giving my carers a break and doing what I want to do", When: "Thursday 15 July 2027, 1pm to 2pm",
	Where: "Online (Microsoft Teams)", Places: 2, Needs: []string{"i use a wheelchair"}, Phone: "01305 221000",
}

func TestGolden(t *testing.T) {
	t.Parallel()
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range set.Names() {
		t.Run(name, func(t *testing.T) {
			data, ok := samples[name]
			if !ok {
				t.Fatalf("no sample data for template %s", name)
			}
			r, err := set.Render(name, "Better Days", data)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".txt.golden", r.Text)
			golden(t, name+".html.golden", r.HTML)
			for _, line := range strings.Split(r.Text, "\n") {
				if n := len([]rune(line)); n > 78 {
					t.Errorf("text line of %d characters (over 78): %q", n, line)
				}
			}
		})
	}
}

func TestGoldenVariants(t *testing.T) {
	t.Parallel()
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range variants {
		t.Run(name, func(t *testing.T) {
			r, err := set.Render(v.template, "Better Days", v.data)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".txt.golden", r.Text)
			golden(t, name+".html.golden", r.HTML)
		})
	}
}

func golden(t *testing.T, file, got string) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file; got:\n%s", file, got)
	}
}

// TestHTMLEscapes checks that what a stranger wrote (their name here) is
// escaped in the HTML part.
func TestHTMLEscapes(t *testing.T) {
	t.Parallel()
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	r, err := set.Render("help", "<b>t</b>", Help{Name: `<script>alert(1)</script>`})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<script>") || strings.Contains(r.HTML, "<b>t</b>") {
		t.Errorf("HTML part carries unescaped input:\n%s", r.HTML)
	}
}

func TestMissingFieldIsAnError(t *testing.T) {
	t.Parallel()
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := set.Render("too-large", "t", map[string]string{"Name": "x"}); err == nil {
		t.Error("rendering with a missing field succeeded")
	}
}

// TestUrgentHelpFirst: when someone's words suggest they may be at risk,
// the answer opens with where to get help now, before the greeting and
// whatever else it says: on a phone, four appointment times above it would
// push it off the first screen.
func TestUrgentHelpFirst(t *testing.T) {
	t.Parallel()
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	slot := Choice{Number: 1, Title: "One-to-one", When: "Monday 2 August 2027, 11am to 11:30am", Where: "Phone call", Left: 1}
	r, err := set.Render("answer", "Better Days", Answer{Name: "Ann", Asked: "for a one-to-one", Urgent: true, PassedOn: true,
		ChooseFor: "dropin", Choices: []Choice{slot, slot, slot, slot}})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(r.Text, "\n", 4)
	if len(lines) < 4 || !strings.Contains(lines[0], "999") || !strings.Contains(lines[1]+lines[2], "Samaritans") ||
		!strings.Contains(lines[1]+" "+lines[2], "116 123") {
		t.Errorf("the text does not open with 999 and Samaritans:\n%s", r.Text)
	}
	body := r.HTML[strings.Index(r.HTML, "<main"):]
	help, hello := strings.Index(body, "999"), strings.Index(body, "Hello")
	if help < 0 || hello < 0 || help > hello || strings.Index(body, "116 123") > hello || strings.Count(body[:help], "<p") > 1 {
		t.Errorf("the HTML does not open with 999 and Samaritans:\n%s", body)
	}
	r, err = set.Render("answer", "Better Days", Answer{Name: "Ann", PassedOn: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Text, "Hello Ann,") || strings.Contains(r.Text+r.HTML, "999") {
		t.Errorf("an answer to someone not at risk gives the numbers:\n%s", r.Text)
	}
}
