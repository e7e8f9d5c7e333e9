package understand

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestInlineForward(t *testing.T) {
	mary := "I'd like to book the carers session on the 10th please.\n\nThanks,\nMary"
	for _, tc := range []struct {
		name, subject, text string
		want                *Forward // nil: not a forward
	}{
		{"gmail", "Fwd: Booking",
			"Mary rang, please book her.\n\n---------- Forwarded message ---------\nFrom: *Mary Jones* <Mary@Example.org>\nDate: Tue, 3 Aug 2027 at 10:15\nSubject: Booking\nTo: <officer@council.example>\n\n\n" + mary,
			&Forward{From: "mary@example.org", FromName: "Mary Jones", Subject: "Booking", Date: time.Date(2027, 8, 3, 10, 15, 0, 0, time.UTC),
				Text: "I'd like to book the carers session on the 10th please.", Note: "Mary rang, please book her."}},
		{"gmail, subject says nothing", "Booking",
			"---------- Forwarded message ---------\nFrom: Mary Jones <mary@example.org>\nDate: Tue, Aug 3, 2027 at 10:15 AM\nSubject: Booking\nTo: <officer@council.example>\n\n" + mary,
			&Forward{From: "mary@example.org", FromName: "Mary Jones", Subject: "Booking", Date: time.Date(2027, 8, 3, 10, 15, 0, 0, time.UTC),
				Text: "I'd like to book the carers session on the 10th please."}},
		{"apple, quoted", "Fwd: Booking",
			"Please book Mary\n\nSent from my iPhone\n\nBegin forwarded message:\n\n> From: Mary Jones <mary@example.org>\n> Date: 3 August 2027 at 10:15:00 BST\n> To: Officer <officer@council.example>\n> Subject: Booking\n>\n> " + strings.ReplaceAll(mary, "\n", "\n> "),
			&Forward{From: "mary@example.org", FromName: "Mary Jones", Subject: "Booking", Date: time.Date(2027, 8, 3, 10, 15, 0, 0, time.FixedZone("BST", 3600)),
				Text: "I'd like to book the carers session on the 10th please.", Note: "Please book Mary"}},
		{"apple, not quoted", "Fwd: Booking",
			"Begin forwarded message:\n\nFrom: Mary Jones <mary@example.org>\nSubject: Booking\nDate: 3 August 2027 at 10:15:00 GMT+1\nTo: Officer <officer@council.example>\n\n" + mary,
			&Forward{From: "mary@example.org", FromName: "Mary Jones", Subject: "Booking", Date: time.Date(2027, 8, 3, 9, 15, 0, 0, time.UTC),
				Text: "I'd like to book the carers session on the 10th please."}},
		{"thunderbird", "Fwd: Booking",
			"Please book.\n\n-------- Forwarded Message --------\nSubject: \tBooking\nDate: \tTue, 3 Aug 2027 10:15:00 +0100\nFrom: \tMary Jones <mary@example.org>\nTo: \tOfficer <officer@council.example>\n\n\n\n" + mary,
			&Forward{From: "mary@example.org", FromName: "Mary Jones", Subject: "Booking", Date: time.Date(2027, 8, 3, 9, 15, 0, 0, time.UTC),
				Text: "I'd like to book the carers session on the 10th please.", Note: "Please book."}},
		{"outlook", "FW: Booking",
			"Please book Mary in.\n\nJohn\n\n________________________________\nFrom: Mary Jones <mary@example.org>\nSent: 03 August 2027 10:15\nTo: John Smith <john@council.example>\nSubject: Booking\n\n" + mary,
			&Forward{From: "mary@example.org", FromName: "Mary Jones", Subject: "Booking", Date: time.Date(2027, 8, 3, 10, 15, 0, 0, time.UTC),
				Text: "I'd like to book the carers session on the 10th please.", Note: "Please book Mary in.\n\nJohn"}},
		{"outlook mailto", "FW: Booking",
			"Please book.\n\nFrom: Mary Jones [mailto:mary@example.org]\nSent: Tuesday, August 3, 2027 10:15 AM\nTo: John Smith\nSubject: Booking\n\n" + mary,
			&Forward{From: "mary@example.org", FromName: "Mary Jones", Subject: "Booking", Date: time.Date(2027, 8, 3, 10, 15, 0, 0, time.UTC),
				Text: "I'd like to book the carers session on the 10th please.", Note: "Please book."}},
		{"outlook link text", "Fw: Booking",
			"From: mary@example.org<mailto:mary@example.org>\nSent: 03 August 2027 10:15\nTo: John Smith <john@council.example<mailto:john@council.example>>\nSubject: Booking\n\n" + mary,
			&Forward{From: "mary@example.org", Subject: "Booking", Date: time.Date(2027, 8, 3, 10, 15, 0, 0, time.UTC),
				Text: "I'd like to book the carers session on the 10th please."}},
		{"outlook name only, address in signature", "FW: Booking",
			"Please book.\n\n-----Original Message-----\nFrom: Jones, Mary\nSent: 03 August 2027 10:15\nTo: Smith, John\nSubject: Booking\n\nBook me in.\n\nMary Jones\nmary.jones@example.org",
			&Forward{From: "mary.jones@example.org", FromName: "Jones, Mary", Subject: "Booking", Date: time.Date(2027, 8, 3, 10, 15, 0, 0, time.UTC),
				Text: "Book me in.", Note: "Please book."}},
		{"the person's signature is theirs, not a request", "FW: Booking",
			"Please book.\n\n-----Original Message-----\nFrom: Mary Jones <mary@example.org>\nSent: 03 August 2027 10:15\nTo: Smith, John\nSubject: Booking\n\nCan I come on 15 July?\n\nMary Jones\nLearning Disability Partnership Board, Community Rep\nTel 01305 221000",
			&Forward{From: "mary@example.org", FromName: "Mary Jones", Subject: "Booking", Date: time.Date(2027, 8, 3, 10, 15, 0, 0, time.UTC),
				Text: "Can I come on 15 July?", Phone: "01305 221000", Note: "Please book."}},
		{"outlook name only, other address not taken", "FW: Booking",
			"From: Mary Jones\nSent: 03 August 2027 10:15\nTo: John\nSubject: Booking\n\nPlease also tell my daughter sue@example.org",
			&Forward{FromName: "Mary Jones", Subject: "Booking", Date: time.Date(2027, 8, 3, 10, 15, 0, 0, time.UTC),
				Text: "Please also tell my daughter sue@example.org"}},
		{"outlook address wrapped", "FW: Booking",
			"From: Mary Jones\n<mary@example.org>\nSent: 03 August 2027 10:15\nTo: John\nSubject: Booking\n\nBook me",
			&Forward{From: "mary@example.org", FromName: "Mary Jones", Subject: "Booking", Date: time.Date(2027, 8, 3, 10, 15, 0, 0, time.UTC), Text: "Book me"}},
		{"outlook german WG", "WG: Buchung",
			"Bitte buchen.\n\nVon: Mary Jones <mary@example.org>\nGesendet: Dienstag, 3. August 2027 10:15\nAn: John\nBetreff: Buchung\n\nBitte buchen Sie mich.",
			&Forward{From: "mary@example.org", FromName: "Mary Jones", Subject: "Buchung", Text: "Bitte buchen Sie mich.", Note: "Bitte buchen."}},
		{"external tag", "[EXTERNAL] FW: Booking",
			"From: Mary <mary@example.org>\nSent: 03/08/2027 10:15\nTo: John\nSubject: Booking\n\nBook me",
			&Forward{From: "mary@example.org", FromName: "Mary", Subject: "Booking", Date: time.Date(2027, 8, 3, 10, 15, 0, 0, time.UTC), Text: "Book me"}},

		// Replies, not forwards.
		{"outlook reply quoting us", "RE: Better Days newsletter",
			"Yes please\n\nFrom: Better Days <betterdays@example.org>\nSent: 03 August 2027 10:15\nTo: Mary Jones <mary@example.org>\nSubject: Better Days newsletter\n\nHello", nil},
		{"reply to a forward", "RE: FW: Booking",
			"Done.\n\nFrom: John\nSent: 03 August 2027 11:00\nTo: Officer\nSubject: FW: Booking\n\n---------- Forwarded message ---------\nFrom: Mary <mary@example.org>\n\nBook me", nil},
		{"gmail reply quoting a forward", "Re: Fwd: Booking",
			"Done.\n\nOn Tue, 3 Aug 2027 at 11:00, John <john@council.example> wrote:\n> ---------- Forwarded message ---------\n> From: Mary <mary@example.org>\n>\n> Book me", nil},
		{"fw subject without a header block", "Fw: Booking", "Please book Mary, she rang.", nil},
		{"apple, marker quoted too", "Fwd: Booking",
			"Please book Mary\n\n> Begin forwarded message:\n>\n> From: Mary Jones <mary@example.org>\n> Subject: Booking\n> Date: 3 August 2027 at 10:15:00 BST\n>\n> Book me please",
			&Forward{From: "mary@example.org", FromName: "Mary Jones", Subject: "Booking", Date: time.Date(2027, 8, 3, 10, 15, 0, 0, time.FixedZone("BST", 3600)),
				Text: "Book me please", Note: "Please book Mary"}},
		{"yahoo, header on one line", "Fwd: Booking",
			"Please book her\n\n   ----- Forwarded Message ----- From: Mary Jones <mary@example.org>To: \"officer@council.example\" <officer@council.example>Sent: Tuesday, August 3, 2027, 10:15:00 AM BSTSubject: Booking\n Book me please",
			&Forward{From: "mary@example.org", FromName: "Mary Jones", Subject: "Booking", Date: time.Date(2027, 8, 3, 10, 15, 0, 0, time.FixedZone("BST", 3600)),
				Text: "Book me please", Note: "Please book her"}},
		{"outlook for mac", "FW: Booking",
			"Please book her\n\nOn 03/08/2027 10:15, \"Mary Jones\" <mary@example.org> wrote:\n\n    Book me please\n\n    Mary",
			&Forward{From: "mary@example.org", FromName: "Mary Jones", Text: "Book me please", Note: "Please book her"}},
		{"outlook on behalf of", "FW: Booking",
			"________________________________\nFrom: Mary Jones <mary@example.org> on behalf of Carers Group <carers@example.org>\nSent: 03 August 2027 10:15\nTo: John\nSubject: Booking\n\nBook me",
			&Forward{From: "mary@example.org", FromName: "Mary Jones", Subject: "Booking", Date: time.Date(2027, 8, 3, 10, 15, 0, 0, time.UTC), Text: "Book me"}},
		{"fw subject, attribution", "Fwd: Booking", "See below\n\nOn Tue, 3 Aug 2027 at 10:15, Mary <mary@example.org> wrote:\nBook me", nil},
		{"plain message", "", "Book me on the 15th", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := inlineForward(tc.text, tc.subject, "")
			if tc.want == nil || got == nil {
				if got != tc.want {
					t.Fatalf("inlineForward(%q, %q) = %+v, want %+v", tc.text, tc.subject, got, tc.want)
				}
				return
			}
			if !got.Date.Equal(tc.want.Date) {
				t.Errorf("Date = %v, want %v", got.Date, tc.want.Date)
			}
			got.Date, tc.want.Date = time.Time{}, time.Time{}
			if *got != *tc.want {
				t.Errorf("inlineForward(%q, %q) =\n%+v\nwant\n%+v", tc.text, tc.subject, *got, *tc.want)
			}
		})
	}
}

func TestForwardSubject(t *testing.T) {
	for s, want := range map[string]bool{
		"Fw: a": true, "FW: a": true, "Fwd: a": true, "FWD:a": true, "WG: a": true, "TR : a": true,
		"RV: a": true, "[EXTERNAL] FW: a": true, "EXTERNAL: Fwd: a": true, "Re: Fwd: a": false,
		"RE: a": false, "a": false, "Fwd a": false, "Booking: Fwd": false, "": false,
	} {
		if got := forwardSubject(s); got != want {
			t.Errorf("forwardSubject(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestLooseDate(t *testing.T) {
	bst := time.FixedZone("BST", 3600)
	for in, want := range map[string]time.Time{
		"Tue, 3 Aug 2027 10:15:00 +0100":      time.Date(2027, 8, 3, 10, 15, 0, 0, bst),
		"Tue, 3 Aug 2027 at 10:15":            time.Date(2027, 8, 3, 10, 15, 0, 0, time.UTC),
		"Tue, Aug 3, 2027 at 10:15\u202fAM":   time.Date(2027, 8, 3, 10, 15, 0, 0, time.UTC),
		"3 August 2027 at 10:15:00 BST":       time.Date(2027, 8, 3, 10, 15, 0, 0, bst),
		"August 3, 2027 at 3:15:00 PM EDT":    time.Date(2027, 8, 3, 19, 15, 0, 0, time.UTC),
		"Tuesday, August 3, 2027 10:15 AM":    time.Date(2027, 8, 3, 10, 15, 0, 0, time.UTC),
		"Tuesday, August 03, 2027 2:15 PM":    time.Date(2027, 8, 3, 14, 15, 0, 0, time.UTC),
		"03 August 2027 10:15":                time.Date(2027, 8, 3, 10, 15, 0, 0, time.UTC),
		"3 August 2027 at 10:15:00 GMT+1":     time.Date(2027, 8, 3, 9, 15, 0, 0, time.UTC),
		"3 August 2027 at 10:15:00 GMT-05:30": time.Date(2027, 8, 3, 15, 45, 0, 0, time.UTC),
		"Tuesday, 3 August 2027 10:15":        time.Date(2027, 8, 3, 10, 15, 0, 0, time.UTC),
		"03/08/2027 10:15":                    time.Date(2027, 8, 3, 10, 15, 0, 0, time.UTC),
		"2027-08-03 10:15":                    time.Date(2027, 8, 3, 10, 15, 0, 0, time.UTC),
		"Dienstag, 3. August 2027 10:15":      {},
		"soon":                                {},
		"":                                    {},
		strings.Repeat("3 August 2027 ", 99):  {},
	} {
		if got := looseDate(in); !got.Equal(want) {
			t.Errorf("looseDate(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestSender(t *testing.T) {
	for in, want := range map[string][2]string{
		"Mary Jones <Mary@Example.org>":                          {"mary@example.org", "Mary Jones"},
		"*Mary Jones* <mary@example.org>":                        {"mary@example.org", "Mary Jones"},
		`"Jones, Mary" <mary@example.org>`:                       {"mary@example.org", "Jones, Mary"},
		"Jones, Mary <mary@example.org>":                         {"mary@example.org", "Jones, Mary"},
		"Mary Jones [mailto:mary@example.org]":                   {"mary@example.org", "Mary Jones"},
		"mary@example.org<mailto:mary@example.org>":              {"mary@example.org", ""},
		"Mary Jones <mary@example.org<mailto:mary@example.org>>": {"mary@example.org", "Mary Jones"},
		"Mary Jones (mary@example.org)":                          {"mary@example.org", "Mary Jones"},
		"Mary Jones":                                             {"", "Mary Jones"},
		"<mary@example.org>":                                     {"mary@example.org", ""},
		"":                                                       {"", ""},
	} {
		addr, name := sender(in)
		if addr != want[0] || name != want[1] {
			t.Errorf("sender(%q) = %q, %q; want %q, %q", in, addr, name, want[0], want[1])
		}
	}
}

func TestAttachedForwardDepth(t *testing.T) {
	// A forward of a forward of a forward, 200 deep: Parse reads the
	// first attached message and stops maxForwardDepth levels down.
	msg := "From: mary@example.org\r\nSubject: level 0\r\n\r\nBook me\r\n"
	const levels = 200
	for i := 1; i <= levels; i++ {
		b := fmt.Sprintf("b%d", i)
		msg = fmt.Sprintf("From: staff%d@council.example\r\nSubject: Fwd: level %d\r\nContent-Type: multipart/mixed; boundary=%s\r\n\r\n"+
			"--%s\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--%s\r\nContent-Type: message/rfc822\r\n\r\n%s\r\n--%s--\r\n",
			i, i, b, b, b, msg, b)
	}
	start := time.Now()
	m, err := Parse([]byte(msg))
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Parse of %d nested forwards took %v", levels, d)
	}
	if err != nil {
		t.Fatal(err)
	}
	want := Forward{From: fmt.Sprintf("staff%d@council.example", levels-1), Subject: fmt.Sprintf("Fwd: level %d", levels-1), Text: "see attached", Note: "see attached"}
	if m.Forwarded == nil || *m.Forwarded != want {
		t.Fatalf("Forwarded = %+v, want %+v", m.Forwarded, want)
	}
}

func FuzzForward(f *testing.F) {
	f.Add("Fwd: x", "note\n---------- Forwarded message ---------\nFrom: *A* <a@b.c>\nDate: Tue, 3 Aug 2027 at 10:15\nSubject: s\n\nbody")
	f.Add("FW: x", "________________________________\nFrom: A [mailto:a@b.c]\nSent: 03/08/2027 10:15\nTo: b\nSubject: s\n\nbody")
	f.Add("", "Begin forwarded message:\n\n> From: A <a@b.c>\n> Date: 3 August 2027 at 10:15:00 BST\n>\n> body")
	f.Add("Fwd: x", "-------- Forwarded Message --------\nSubject: \ts\nDate: \tTue, 3 Aug 2027 10:15:00 +0100\nFrom: \tA\n\nbody a@b.c")
	f.Fuzz(func(t *testing.T, subject, text string) {
		fw := inlineForward(text, subject, "Mary Jones")
		if fw == nil {
			return
		}
		if len(fw.Text) > len(text) || len(fw.Note) > len(text) {
			t.Fatalf("forward larger than its message: %+v", fw)
		}
		if strings.ContainsAny(fw.Subject+fw.FromName+fw.From, "\r\n") {
			t.Fatalf("line breaks in a one-line field: %+v", fw)
		}
		// The same text as a whole message, forwarded as an attachment.
		raw := "From: a@b.c\r\nSubject: " + OneLine(subject) + "\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n" +
			"Content-Type: message/rfc822\r\n\r\n" + text + "\r\n--z--\r\n"
		if m, _ := Parse([]byte(raw)); m == nil {
			t.Fatal("Parse returned nil")
		}
	})
}
