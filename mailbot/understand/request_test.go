package understand

import (
	"cmp"
	"encoding/csv"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// demoItems reads the demo timetable the bot ships with, so these cases are
// read against the sessions people will really see.
func demoItems(t testing.TB) (sessions, dropins []Item, tz *time.Location) {
	t.Helper()
	tz, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("../demo-timetable.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		starts, err1 := time.ParseInLocation("2006-01-02 15:04", r[3], tz)
		ends, err2 := time.ParseInLocation("2006-01-02 15:04", r[4], tz)
		if err1 != nil || err2 != nil {
			t.Fatalf("demo timetable row %v: %v %v", r, err1, err2)
		}
		it := Item{ID: r[0], Title: r[2], Dropin: r[1] == "dropin", Starts: starts, Ends: ends, Location: r[6]}
		if it.Dropin {
			dropins = append(dropins, it)
		} else {
			sessions = append(sessions, it)
		}
	}
	return sessions, dropins, tz
}

// titlesOf is the items' titles, as the desk gives them to Read.
func titlesOf(items []Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Title)
	}
	return out
}

func ids(items []Item) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

// TestRead is the phrasebook: what people write, and what the bot must take
// it to mean, against the demo timetable on Tuesday 15 June 2027.
func TestRead(t *testing.T) {
	t.Parallel()
	sessions, dropins, tz := demoItems(t)
	now := time.Date(2027, 6, 15, 10, 0, 0, 0, tz)
	titles := titlesOf(sessions)
	slots := ids(dropins[:4]) // a list of four drop-in slots we offered
	list := ids(sessions)     // the full list of sessions we sent

	type want struct {
		action  Action
		targets [][]string // the ids each target resolves to
		from    [][]string
		places  int
		phone   string
		needs   int
		sub     bool
		unsub   bool
	}
	tests := []struct {
		name    string
		subject string
		text    string
		offered []string // the numbered list this replies to
		staff   bool
		want    want
	}{
		// What's on
		{name: "what sessions", text: "What sessions are there?", want: want{action: List}},
		{name: "timetable", text: "timetable", want: want{action: List}},
		{name: "coming up", text: "Hello, what's coming up?", want: want{action: List}},
		{name: "blank with subject", subject: "Sessions", text: "", want: want{action: List}},
		{name: "whats on", text: "what is on please", want: want{action: List}},
		{name: "upcoming dates", text: "Could you send me the dates?", want: want{action: List}},
		{name: "reply subject not read", subject: "Re: Better Days: sessions you can book", text: "thank you", want: want{action: Unknown}},

		// Book by title
		{name: "title words", text: "Please book me on new to caring", want: want{action: Book, targets: [][]string{{"bd-2027-06"}}}},
		{name: "title unique word", text: "I'd like to come to the independence one", want: want{action: Book, targets: [][]string{{"bd-2027-02"}}}},
		{name: "title in subject", subject: "Learning new skills", text: "I would like a place", want: want{action: Book, targets: [][]string{{"bd-2027-03"}}}},
		{name: "title charities", text: "book me onto the charities and forums session", want: want{action: Book, targets: [][]string{{"bd-2027-09"}}}},
		{name: "title carers break", text: "Can I come to the one about giving carers a break?", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "title local community", text: "sign me up for accessing the local community", want: want{action: Book, targets: [][]string{{"bd-2027-05"}}}},
		{name: "title by your side", text: "We'd love to attend By your side", want: want{action: Book, targets: [][]string{{"bd-2027-08"}}}},
		// What a clause only remembers names nothing to book.
		{name: "past clause", text: "I used to go to the independence one before my husband died, but please book me on 15 July", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "went to last year", text: "I went to the charities one last year and loved it. Could I come to Learning new skills?", want: want{action: Book, targets: [][]string{{"bd-2027-03"}}}},
		{name: "past with nothing asked", text: "I used to enjoy the afternoon groups when Ronald was alive, but since he died in March I don't see the point.", want: want{action: Unknown}},
		{name: "what happened when", text: "My mum had a stroke in April and I'm now looking after her. Can I book a place?", want: want{action: Book}},
		{name: "booked is not the past", text: "I booked the 15th July but can't come now, please cancel it", want: want{action: Cancel, targets: [][]string{{"bd-2027-04"}}}},
		{name: "better days is not a title", text: "Hello Better Days team, can I book a place?", want: want{action: Book}},

		// Book by date, in the forms people write
		{name: "15 July", text: "Book me on 15 July please", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "15th of July", text: "Can I book the 15th of July", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "July 15th", text: "I want to book July 15th", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "Thursday 15th", text: "I'd like to come on Thursday 15th", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "Thursday the 15th", text: "book thursday the 15th", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "29-06-2027", text: "Kindly reserve one seat for me for the session dated 29-06-2027 at 2 PM.", want: want{action: Book, targets: [][]string{{"bd-2027-02"}}, places: 1}},
		{name: "twenty-first of July", text: "there is a discussion on Wednesday the twenty-first of July. I would like to take part", want: want{action: Book, targets: [][]string{{"bd-2027-05"}}}},
		{name: "first of July in words", text: "Can I come on the sixth of July?", want: want{action: Book, targets: [][]string{{"bd-2027-03"}}}},
		{name: "2-3pm is no date", text: "Can I book the 15th July, 1-2pm", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "26/08", text: "book me for 26/08", want: want{action: Book, targets: [][]string{{"bd-2027-08"}}}},
		{name: "26/8/27", text: "Book 26/8/27", want: want{action: Book, targets: [][]string{{"bd-2027-08"}}}},
		{name: "26.08.2027", text: "place on 26.08.2027 please", want: want{action: Book, targets: [][]string{{"bd-2027-08"}}}},
		{name: "next Tuesday", text: "Can I come next Tuesday?", want: want{action: Book, targets: [][]string{{"bd-2027-01"}}}},
		{name: "the August one ambiguous", text: "Please book me on the August one", want: want{action: Book, targets: [][]string{{"bd-2027-06", "bd-2027-07", "bd-2027-08"}}}},
		{name: "in September", text: "I'll come to the one in September", want: want{action: Book, targets: [][]string{{"bd-2027-09"}}}},
		{name: "full date with weekday", text: "Book me on Tuesday 10 August 2027", want: want{action: Book, targets: [][]string{{"bd-2027-06"}}}},
		{name: "abbreviated month", text: "book 7 sept", want: want{action: Book, targets: [][]string{{"bd-2027-09"}}}},
		{name: "date without verb", text: "10 August please", want: want{action: Book, targets: [][]string{{"bd-2027-06"}}}},
		{name: "bare date chooses", text: "21 July", want: want{action: Choose, targets: [][]string{{"bd-2027-05"}}}},
		{name: "the 18th", text: "I'll come along on the 18th", want: want{action: Book, targets: [][]string{{"bd-2027-07"}}}},
		{name: "date with no session", text: "book me on 1 December", want: want{action: Book, targets: [][]string{{}}}},
		{name: "title and date together", text: "Book New to caring on 10 August", want: want{action: Book, targets: [][]string{{"bd-2027-06"}}}},
		{name: "may the verb", text: "May I book a place on the 6th July?", want: want{action: Book, targets: [][]string{{"bd-2027-03"}}}},

		// Several in one message
		{name: "two dates", text: "book me on 15 July and 26 August", want: want{action: Book, targets: [][]string{{"bd-2027-04"}, {"bd-2027-08"}}}},
		{name: "three dates numeric", text: "Please book 22/6, 29/6 and 6/7", want: want{action: Book, targets: [][]string{{"bd-2027-01"}, {"bd-2027-02"}, {"bd-2027-03"}}}},
		{name: "date and title", text: "I'd like to book 21 July and also the charities one", want: want{action: Book, targets: [][]string{{"bd-2027-05"}, {"bd-2027-09"}}}},

		// By number from a list we sent
		{name: "bare number", text: "2", offered: list, want: want{action: Choose, targets: [][]string{{"bd-2027-02"}}}},
		{name: "number with words", text: "Number 3 please", offered: list, want: want{action: Book, targets: [][]string{{"bd-2027-03"}}}},
		{name: "two numbers", text: "1 and 4", offered: list, want: want{action: Choose, targets: [][]string{{"bd-2027-01"}, {"bd-2027-04"}}}},
		{name: "option word", text: "option two", offered: list, want: want{action: Choose, targets: [][]string{{"bd-2027-02"}}}},
		{name: "the second one", text: "I'll take the second one", offered: slots, want: want{action: Book, targets: [][]string{{slots[1]}}}},
		{name: "the last one", text: "the last one please", offered: slots, want: want{action: Book, targets: [][]string{{slots[3]}}}},
		{name: "not in July or August", text: "What sessions are there? Not in July or August, we are away.", want: want{action: List}},
		{name: "the Tuesday after", text: "The 22nd is no good but the Tuesday after would be.", want: want{action: Choose, targets: [][]string{{"bd-2027-02"}}}},
		{name: "the week after", text: "I can't do the 29th June, could I come the week after that instead?", want: want{action: Move, from: [][]string{{"bd-2027-02"}}, targets: [][]string{{"bd-2027-03"}}}},
		{name: "the following Tuesday", text: "Not the 22nd, sorry, the following Tuesday?", want: want{action: Choose, targets: [][]string{{"bd-2027-02"}}}},
		{name: "the Tuesday after next", text: "Can I come the Tuesday after next?", want: want{action: Book, targets: [][]string{{"bd-2027-02"}}}},
		{name: "after, in another paragraph", text: "I came on the 22nd and loved it.\n\nIs there one the Tuesday after?", want: want{action: Choose, targets: [][]string{{"bd-2027-01"}, {"bd-2027-01", "bd-2027-02", "bd-2027-03", "bd-2027-06", "bd-2027-09"}}}}, // no "after" across paragraphs: any Tuesday
		{name: "a fortnight today", text: "is there room at the session a fortnight today? Please book me in if so.", want: want{action: Book, targets: [][]string{{"bd-2027-02"}}}},
		{name: "a week on tuesday", text: "Book me on the one a week on Tuesday please", want: want{action: Book, targets: [][]string{{"bd-2027-01"}}}},
		{name: "dotted date is no number of places", text: "Booking for 10.8.27 please.", want: want{action: Book, targets: [][]string{{"bd-2027-06"}}}},
		{name: "can I do", text: "can i do the good day one", want: want{action: Choose, targets: [][]string{{"bd-2027-01"}}}},
		{name: "not if online", text: "I can do the 15th July but not if it's online, I don't have a computer.", want: want{action: Choose, targets: [][]string{{"bd-2027-04"}}}},
		{name: "before I book", text: "What's the point of the session on 7 September? I'd like to understand what it's for before I book.", want: want{action: Choose, targets: [][]string{{"bd-2027-09"}}}},
		// What a clause refuses, or keeps, is not what the message asks.
		{name: "not the first, the second", text: "not the first one, the second one thank you", offered: list, want: want{action: Choose, targets: [][]string{{"bd-2027-02"}}}},
		{name: "no good, after", text: "The 22nd is no good but 15 July would be", want: want{action: Choose, targets: [][]string{{"bd-2027-04"}}}},
		{name: "not for me", text: "I've seen the New to caring one but that's not for me! Please book me on 15 July.", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "cancel one, keep one", text: "Can't do the 22nd now (hospital) but DON'T cancel the 29th, I'll be at that one.", want: want{action: Cancel, targets: [][]string{{"bd-2027-01"}}}},
		{name: "keep me on", text: "I won't be able to come on the 29th after all, but please keep me on the one in September.", want: want{action: Cancel, targets: [][]string{{"bd-2027-02"}}}},
		{name: "off the waiting list, onto another", text: "Take me off the waiting list for 26 August and book me on 15 July instead please.", want: want{action: Move, from: [][]string{{"bd-2027-08"}}, targets: [][]string{{"bd-2027-04"}}}},
		{name: "no longer need the waiting list", text: "I don't need to be on the waiting list any more, thank you.", want: want{action: Cancel}},
		{name: "cancelled by mistake", text: "I pressed cancel by mistake on the 6th July one. Can you put me back on please.", want: want{action: Book, targets: [][]string{{"bd-2027-03"}}}},
		{name: "a list of their own", text: "Three things please:\n1. cancel the 22nd June, I can't do it\n2. book the 15th July for me and my son", offered: list, want: want{action: Move, from: [][]string{{"bd-2027-01"}}, targets: [][]string{{"bd-2027-04"}}, places: 2}},
		{name: "don't cancel, leave the list", text: "Please don't cancel my booking for the 15th, I still want to come, but take me off the mailing list.", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}, unsub: true}},
		{name: "number out of range", text: "12", offered: slots, want: want{action: Choose, targets: [][]string{{}}}},
		{name: "number without list", text: "3", want: want{action: Unknown}},
		{name: "the Thursday one from slots", text: "the Thursday 1st one", offered: slots, want: want{action: Choose, targets: [][]string{{slots[3]}}}},
		{name: "time is not a number", text: "2pm would be good", offered: slots, want: want{action: Unknown}},

		// Places
		{name: "for 2", text: "Book 15 July for 2", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}, places: 2}},
		{name: "just me, whoever else is named", text: "My wife and I had a look at the list and I'd like to come on 15 July. Just me, she will be at her day centre.", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "the afternoon one in July", text: "I'd like the afternoon one in July please", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "can't do a weekday is no cancellation", text: "i cant do tuesdays at all but wednesdays are ok so could you put me on the wednesday one in july please", want: want{action: Book, targets: [][]string{{"bd-2027-05"}}}},
		{name: "plural needs", text: "Book 2 places for me and my partner on 6 July please. We both use wheelchairs.", want: want{action: Book, targets: [][]string{{"bd-2027-03"}}, places: 2, needs: 1}},
		{name: "me and 2 residents", text: "Hi, can I book the 22nd for me and 2 of our residents? We'll join from the lounge.", want: want{action: Book, targets: [][]string{{"bd-2027-01"}}, places: 3}},
		{name: "myself and three others", text: "Please book myself and three others on 15 July", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}, places: 4}},
		{name: "wife on one of two", text: "Please book me on the 22nd and the 29th, and my wife on the 22nd too.", want: want{action: Book, targets: [][]string{{"bd-2027-01"}, {"bd-2027-02"}}}},
		{name: "for 23 years is not places", text: "I've been caring for my son for 23 years so that's not for me. Please book me on 15 July.", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "me and mum", text: "I'm dying to come to the 15 July one! Please book me and mum x", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}, places: 2}},
		{name: "a time beside a day says which of it", text: "Can I come on 15 July at 1pm please?", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "a time alone names nothing", text: "Book me on the 15 July one, I have to get the 11.20 bus home", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "the start of July", text: "I'd like the one at the start of July please", want: want{action: Book, targets: [][]string{{"bd-2027-03"}}}},
		{name: "for two people", text: "Please book New to caring for two people", want: want{action: Book, targets: [][]string{{"bd-2027-06"}}, places: 2}},
		{name: "me and my husband", text: "Me and my husband would like to come on 21 July", want: want{action: Book, targets: [][]string{{"bd-2027-05"}}, places: 2}},
		{name: "bring the person I care for", text: "book 26/08, I'll bring the person I care for", want: want{action: Book, targets: [][]string{{"bd-2027-08"}}, places: 2}},
		{name: "3 places", text: "3 places on 7 September please", want: want{action: Book, targets: [][]string{{"bd-2027-09"}}, places: 3}},
		{name: "both of us", text: "Can both of us come to learning new skills?", want: want{action: Book, targets: [][]string{{"bd-2027-03"}}, places: 2}},
		{name: "for a date is not places", text: "Book me for 15 July please", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "for the 15th is not places", text: "Can you book me for the 15th of July", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "for 2pm is not places", text: "book 15 July for 2pm", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "1 place", text: "Please book 15 July, 1 place", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}, places: 1}},
		{name: "make that 3", text: "Book 15 July please, actually make that 3", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}, places: 3}},
		{name: "make it 2pm is not places", text: "Can you book me on 15 July and make it 2pm", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "absurd places capped", text: "book 15 july for 40 people", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}, places: 10}},
		{name: "my wife and I", text: "My wife and I would like to come on 21 July", want: want{action: Book, targets: [][]string{{"bd-2027-05"}}, places: 2}},
		{name: "staff: him and his wife", text: "Please book him and his wife on 21 July", want: want{action: Book, targets: [][]string{{"bd-2027-05"}}, places: 2}},
		{name: "staff: with her husband", text: "She'd like to come on 21 July with her husband", want: want{action: Book, targets: [][]string{{"bd-2027-05"}}, places: 2}},
		{name: "a guide dog takes no place", text: "Can I bring my guide dog on 21 July?", want: want{action: Choose, targets: [][]string{{"bd-2027-05"}}, needs: 1}},
		{name: "caring for is not bringing", text: "I look after my mum and I'd like to come on 21 July", want: want{action: Book, targets: [][]string{{"bd-2027-05"}}}},

		// Cancel and change
		{name: "cancel", text: "Cancel", want: want{action: Cancel}},
		{name: "cant make it", text: "Sorry, I can't make it any more", want: want{action: Cancel}},
		{name: "cancel a date", text: "please cancel 15 July", want: want{action: Cancel, targets: [][]string{{"bd-2027-04"}}}},
		{name: "cancel, and come another time", text: "Please cancel - I'm ill. I'll come to the next one in September", want: want{action: Cancel}},
		{name: "cancel a date in another sentence", text: "I'm sorry, I need to cancel. It was 15 July.", want: want{action: Cancel, targets: [][]string{{"bd-2027-04"}}}},
		{name: "wont be able", text: "I won't be able to come on the 10th August", want: want{action: Cancel, targets: [][]string{{"bd-2027-06"}}}},
		{name: "move to august", text: "Can I move to the August one instead?", want: want{action: Move, targets: [][]string{{"bd-2027-06", "bd-2027-07", "bd-2027-08"}}}},
		{name: "move from to", text: "please change me from 15 July to 26 August", want: want{action: Move, from: [][]string{{"bd-2027-04"}}, targets: [][]string{{"bd-2027-08"}}}},
		{name: "cant make one, another instead", text: "I can't make 15 July but could I come on 26 August instead?", want: want{action: Move, from: [][]string{{"bd-2027-04"}}, targets: [][]string{{"bd-2027-08"}}}},
		{name: "move from title and date", text: "Could I switch from New to caring on 10 August to the one on 7 September?", want: want{action: Move, from: [][]string{{"bd-2027-06"}}, targets: [][]string{{"bd-2027-09"}}}},
		{name: "change the noun", text: "21 July was upsetting, people with dementia find change hard", want: want{action: Choose, targets: [][]string{{"bd-2027-05"}}, needs: 1}},
		{name: "today as an aside", text: "Thanks for the chat today. Please put me down for 21 July.", want: want{action: Book, targets: [][]string{{"bd-2027-05"}}}},
		{name: "title session on date", text: "book the learning new skills session on 6 July", want: want{action: Book, targets: [][]string{{"bd-2027-03"}}}},
		{name: "no to a reminder", text: "No", want: want{action: No}},
		{name: "no thanks", text: "no thanks.", want: want{action: No}},

		// Drop-ins and preferences
		{name: "one-to-one", text: "Can I have a one-to-one?", want: want{action: DropIn}},
		{name: "drop-in", text: "I'd like a drop in appointment", want: want{action: DropIn}},
		{name: "chat with someone", text: "Could I have a chat with someone on my own, I don't like groups", want: want{action: DropIn}},
		{name: "dropin with phone", text: "I'd like a one to one. My number is 01305 221000", want: want{action: DropIn, phone: "01305 221000"}},
		{name: "mobile +44", text: "1:1 please, ring me on +44 7700 900123", want: want{action: DropIn, phone: "+44 7700 900123"}},

		// Access needs
		{name: "wheelchair", text: "Book me on 15 July. I use a wheelchair.", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}, needs: 1}},
		{name: "bsl and quiet", text: "Please book 26 August. I'll need a BSL interpreter. A quiet room please.", want: want{action: Book, targets: [][]string{{"bd-2027-08"}}, needs: 2}},
		{name: "large print", text: "book learning new skills, large print handouts if possible", want: want{action: Book, targets: [][]string{{"bd-2027-03"}}, needs: 1}},

		// Yes, list and staff
		{name: "yes please", text: "Yes please!", want: want{action: Yes}},
		{name: "ok", text: "ok", want: want{action: Yes}},
		{name: "subscribe", text: "Please add me to your mailing list", want: want{action: Unknown, sub: true}},
		{name: "book and subscribe", text: "Book me on 15 July and keep me updated", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}, sub: true}},
		{name: "unsubscribe", text: "unsubscribe", want: want{action: Unknown, unsub: true}},
		{name: "stop alone", text: "STOP", want: want{action: Unknown, unsub: true}},
		{name: "stop the emails", text: "could you stop the better days emails please", want: want{action: Unknown, unsub: true}},
		{name: "stop in a sentence", text: "the bus stop is near, book 15 July", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "attendees staff", text: "attendees 15 July", staff: true, want: want{action: Attendees, targets: [][]string{{"bd-2027-04"}}}},
		{name: "attendees public", text: "attendees 15 July", want: want{action: Choose, targets: [][]string{{"bd-2027-04"}}}},

		// Help and nonsense
		{name: "help", text: "help", want: want{action: Help}},
		{name: "hello", text: "Hi there", want: want{action: Help}},
		{name: "nonsense", text: "asdfgh qwerty", want: want{action: Unknown}},
		{name: "empty", text: "", want: want{action: Unknown}},
		{name: "sql-looking", text: "'; DROP TABLE bookings; --", want: want{action: Unknown}},
		{name: "booked but rather", text: "Hello, I'm booked on the 18th August but I'd rather go to the one on the 10th, and can I bring my neighbour? So 2 places on the 10th.", want: want{action: Move, targets: [][]string{{"bd-2027-06"}}, from: [][]string{{"bd-2027-07"}}, places: 2}},
		{name: "make it the 21st", text: "actually make it the 21st", want: want{action: Move, targets: [][]string{{"bd-2027-05"}}}},
		{name: "move refused", text: "Hi, I'm booked for the 22nd but can't do it now. Please don't put me on the 29th instead or anything else, I'll have another look when we get to August.", want: want{action: Cancel, targets: [][]string{{"bd-2027-01"}}}},
		{name: "the one in between", text: "Not the first one, and not the third, the one in between please", offered: list[:3], want: want{action: Book, targets: [][]string{{"bd-2027-02"}}}},
		{name: "take me off a session", text: "- take me off the 29th June one\n- put me on the 21st July instead", want: want{action: Move, targets: [][]string{{"bd-2027-05"}}, from: [][]string{{"bd-2027-02"}}}},
		{name: "take me off, put me on, add me", text: "Please can you take me off the 22nd June as my husband has a hospital appointment that morning, and put me on the 15th July one instead. And could you add me to your mailing list?", want: want{action: Move, targets: [][]string{{"bd-2027-04"}}, from: [][]string{{"bd-2027-01"}}, sub: true}},
		{name: "take me off the 15th", text: "Please take me off the 15th July, I can't come", want: want{action: Cancel, targets: [][]string{{"bd-2027-04"}}}},
		{name: "kept posted", text: "Good to meet you at the stall. I would like to be kept posted about anything in the autumn.", want: want{action: Unknown, sub: true}},
		{name: "staff: add him to the list", text: "Can you add him to the list please", staff: true, want: want{action: Unknown, sub: true}},
		{name: "his address, off the list", text: "I am writing from my husband's email. Alan passed away last month. Please could you take him off the list.", want: want{action: Unknown, unsub: true}},
		{name: "his list, from my address", text: "My husband gets your emails, can you take him off the list", want: want{action: Unknown}},
		{name: "take me off the list", text: "Please take me off the list", want: want{action: Unknown, unsub: true}},
		{name: "just 1 place, he can't come", text: "Just 1 place now please, my husband can't come after all - he's back in hospital.", want: want{action: Choose, places: 1}},
		{name: "we can't come, cancel our 2 places", text: "We can't come now, please cancel our 2 places", want: want{action: Cancel, places: 2}},
		{name: "mum's appointment is no drop-in", text: "I can't go on Tuesday after all, the hospital have moved Mum's appointment.\nCould I do the 29th instead?", want: want{action: Move, from: [][]string{{"bd-2027-01"}}, targets: [][]string{{"bd-2027-02"}}}},
		{name: "the subject said better below", subject: "September session", text: "Hi, please book me on the session on 1st September. Thanks, Heather", want: want{action: Book, targets: [][]string{{}}}},
		{name: "book two and put me on your emails", text: "Could you book me on the 29th June and the 18th August please, and put me on your emails too.", want: want{action: Book, targets: [][]string{{"bd-2027-02"}, {"bd-2027-07"}}, sub: true}},
		{name: "won't be able to get in", text: "Please could we have 3 places on the 6th July - me, my son and his PA. Is the room on the ground floor? If not he won't be able to get in.", want: want{action: Book, targets: [][]string{{"bd-2027-03"}}, places: 3, needs: 1}},
		{name: "won't be able after all", text: "Sorry, I won't be able to make the 6th July after all", want: want{action: Cancel, targets: [][]string{{"bd-2027-03"}}}},
		{name: "a need if it's on Teams", text: "I'd like to book myself and my dad onto the 15th July session. Dad is hard of hearing, so captions would help if it's on Teams.", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}, places: 2, needs: 2}},
		{name: "my husband will be coming too", text: "Please book me on the 15th July, my husband will be coming too.", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}, places: 2}},
		{name: "my husband will be coming to fetch me", text: "Please book me on the 15th July, my husband will be coming to fetch me after.", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "a friend went with her husband", text: "My friend Sue went to something like this last year with her husband and said it was lovely. I'd like to come on the 6th July please.", want: want{action: Book, targets: [][]string{{"bd-2027-03"}}}},
		{name: "I'll come with my husband", text: "I'd like to come on the 6th July with my husband please.", want: want{action: Book, targets: [][]string{{"bd-2027-03"}}, places: 2}},
		{name: "book me and Pete", text: "Hiya, please book me and Pete on the 26th August, he'd kill me if I forgot!", want: want{action: Book, targets: [][]string{{"bd-2027-08"}}, places: 2}},
		{name: "don't think it's meant for me", text: "I have cared for my son for twenty years so I don't think the New to caring one is meant for me! But the 18th August sounds just right.", want: want{action: Choose, targets: [][]string{{"bd-2027-07"}}}},
		{name: "the new carers one", text: "My mum had a stroke in April and I'm now looking after her. Is there something for new carers? I'd like to come to that.", want: want{action: Book, targets: [][]string{{"bd-2027-06"}}}},
		{name: "caring for mum, a break", text: "I'm caring for my mum. Could I book the carers break one?", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "mid August", text: "Hi, I'd like the one in mid August please, the kids are at their dad's that week.", want: want{action: Book, targets: [][]string{{"bd-2027-06", "bd-2027-07"}}}},
		{name: "a one-to-one, can't do the morning", text: "I'd like one of the one-to-one chats please. I can't do the morning on the 24th as I have the hospital with my son, but the afternoon of the 24th is fine, or any time on the 8th July.", want: want{action: DropIn, targets: [][]string{{}, {}}, places: 2}},
		{name: "can't make my one-to-one", text: "Sorry, I can't make my one-to-one on the 24th after all", want: want{action: Cancel, targets: [][]string{{}}}},
		{name: "the Weymouth one is too far", text: "The Weymouth one is too far for me without a car. Is there another one in August I could come to?", want: want{action: Book, targets: [][]string{{"bd-2027-06", "bd-2027-07", "bd-2027-08"}}}},
		{name: "don't suppose I will need", subject: "September session", text: "Thank you for the list. I don't suppose I will need a place at the September one, but please book me on 15 July.", want: want{action: Book, targets: [][]string{{"bd-2027-04"}}}},
		{name: "cant make it on the 15th", text: "Sorry, I can't make it on the 15th", want: want{action: Cancel, targets: [][]string{{"bd-2027-04"}}}},
		{name: "on tuesday I can come is a date", text: "On Tuesday I can come", want: want{action: Book, targets: [][]string{{"bd-2027-01"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var offered []Item
			for _, id := range tt.offered {
				for _, it := range append(append([]Item(nil), sessions...), dropins...) {
					if it.ID == id {
						offered = append(offered, it)
					}
				}
			}
			r := Read(tt.text, Context{Now: now, TZ: tz, Titles: titles, Subject: tt.subject, Offered: len(offered), IsStaff: tt.staff})
			resolve := func(ps []Pattern) [][]string {
				var out [][]string
				for _, p := range ps {
					pool := sessions
					if len(offered) > 0 {
						pool = offered
					}
					out = append(out, ids(pick(p, pool, tz)))
				}
				return out
			}
			got := want{action: r.Action, targets: resolve(r.Targets), from: resolve(r.From), places: r.Places,
				phone: r.Phone, needs: len(r.Needs), sub: r.Subscribe, unsub: r.Unsubscribe}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Read(%q)\n got %+v\nwant %+v\n(targets %+v)", tt.text, got, tt.want, r.Targets)
			}
		})
	}
}

// TestCancelAllExcept: "all but these" cancels every booking but those,
// and only where "all" is said.
func TestCancelAllExcept(t *testing.T) {
	t.Parallel()
	sessions, _, tz := demoItems(t)
	now := time.Date(2027, 6, 15, 10, 0, 0, 0, tz)
	titles := titlesOf(sessions)
	for _, tc := range []struct {
		text        string
		all         bool
		except, ids []string
	}{
		{"Please cancel everything except the new to caring one, that's the one I really need.", true, []string{"bd-2027-06"}, nil},
		{"cancel all my bookings apart from 15 July", true, []string{"bd-2027-04"}, nil},
		{"cancel all my bookings", true, nil, nil},
		{"I won't be able to come to either of the sessions I booked. Please cancel them both and give the places to someone else.", true, nil, nil},
		{"cancel all my bookings but not the 15th July", true, []string{"bd-2027-04"}, nil},
		{"Please cancel the 22nd, except if it's in person", false, nil, []string{"bd-2027-01"}},
	} {
		r := Read(tc.text, Context{Now: now, TZ: tz, Titles: titles})
		var except, named []string
		for _, p := range r.Except {
			except = append(except, ids(pick(p, sessions, tz))...)
		}
		for _, p := range r.Targets {
			named = append(named, ids(pick(p, sessions, tz))...)
		}
		if r.Action != Cancel || r.All != tc.all || !slices.Equal(except, tc.except) || !slices.Equal(named, tc.ids) {
			t.Errorf("Read(%q): action %v, all %v, except %v, targets %v; want cancel, all %v, except %v, targets %v",
				tc.text, r.Action, r.All, except, named, tc.all, tc.except, tc.ids)
		}
	}
}

func TestPrefs(t *testing.T) {
	t.Parallel()
	_, dropins, tz := demoItems(t)
	tests := []struct {
		text string
		want []string // the demo slots that suit
	}{
		{"mornings please", []string{"dropin-2027-06-24-1000", "dropin-2027-06-24-1030", "dropin-2027-07-01-1000", "dropin-2027-07-01-1030"}},
		{"afternoons are best", []string{"dropin-2027-06-24-1400", "dropin-2027-07-08-1400", "dropin-2027-07-08-1430"}},
		{"any time after 2pm", []string{"dropin-2027-06-24-1400", "dropin-2027-07-08-1400", "dropin-2027-07-08-1430"}},
		{"after 2:15", []string{"dropin-2027-07-08-1430"}},
		{"before 10.30am", []string{"dropin-2027-06-24-1000", "dropin-2027-07-01-1000"}},
		{"not in July", []string{"dropin-2027-06-24-1000", "dropin-2027-06-24-1030", "dropin-2027-06-24-1400"}},
		{"Morning,\n\ncould I have a chat with someone in the afternoon?", []string{"dropin-2027-06-24-1400", "dropin-2027-07-08-1400", "dropin-2027-07-08-1430"}},
		{"Good morning all!\nA one-to-one please", ids(dropins)},
		{"Preferably an afternoon, as mornings are when she needs me most", []string{"dropin-2027-06-24-1400", "dropin-2027-07-08-1400", "dropin-2027-07-08-1430"}},
		{"she said afternoons only, she has the day centre run in the mornings", []string{"dropin-2027-06-24-1400", "dropin-2027-07-08-1400", "dropin-2027-07-08-1430"}},
		{"10.30 would suit me best as I drop my mum at her day centre at 10", []string{"dropin-2027-06-24-1030", "dropin-2027-07-01-1030"}},
		{"Mornings", []string{"dropin-2027-06-24-1000", "dropin-2027-06-24-1030", "dropin-2027-07-01-1000", "dropin-2027-07-01-1030"}},
		{"Morning", []string{"dropin-2027-06-24-1000", "dropin-2027-06-24-1030", "dropin-2027-07-01-1000", "dropin-2027-07-01-1030"}},
		{"not in June or July", []string{}},
		{"not in May, June or July", []string{}},
		{"not June, July is better", []string{"dropin-2027-07-01-1000", "dropin-2027-07-01-1030", "dropin-2027-07-08-1400", "dropin-2027-07-08-1430"}},
		{"in July, mornings", []string{"dropin-2027-07-01-1000", "dropin-2027-07-01-1030"}},
		{"Thursdays suit me", ids(dropins)},
		{"not on a Thursday", []string{}},
		{"whenever", ids(dropins)},
		{"not mornings", []string{"dropin-2027-06-24-1400", "dropin-2027-07-08-1400", "dropin-2027-07-08-1430"}},
		// A day, not every Thursday: the 24th itself is ruled out by
		// the dates (Prefs.NotOn, from findDates).
		{"any day is fine except Thursday the 24th", ids(dropins)},
		{"afternoons are best for me as the wife has her carers in the morning", []string{"dropin-2027-06-24-1400", "dropin-2027-07-08-1400", "dropin-2027-07-08-1430"}},
		{"not a morning one, mornings are when the carers come in", []string{"dropin-2027-06-24-1400", "dropin-2027-07-08-1400", "dropin-2027-07-08-1430"}},
		{"mornings are no good for me", []string{"dropin-2027-06-24-1400", "dropin-2027-07-08-1400", "dropin-2027-07-08-1430"}},
		{"I can't do afternoons", []string{"dropin-2027-06-24-1000", "dropin-2027-06-24-1030", "dropin-2027-07-01-1000", "dropin-2027-07-01-1030"}},
		{"after 2pm is no good", []string{"dropin-2027-06-24-1000", "dropin-2027-06-24-1030", "dropin-2027-07-01-1000", "dropin-2027-07-01-1030"}},
		{"not before 10.30", []string{"dropin-2027-06-24-1030", "dropin-2027-06-24-1400", "dropin-2027-07-01-1030", "dropin-2027-07-08-1400", "dropin-2027-07-08-1430"}},
		{"not after 10am", []string{"dropin-2027-06-24-1000", "dropin-2027-07-01-1000"}},
		{"any day but Thursday", []string{}},
		{"Thursdays are no good", []string{}},
		{"Afternoons are fine but nothing after 3", []string{"dropin-2027-06-24-1400", "dropin-2027-07-08-1400", "dropin-2027-07-08-1430"}},
		{"I can do any afternoon except Thursdays", []string{}},
		{"Could I have a one-to-one at County Hall?", []string{"dropin-2027-07-01-1000", "dropin-2027-07-01-1030"}},
		{"not on the phone please, my hearing is poor. Face to face if possible", []string{"dropin-2027-07-01-1000", "dropin-2027-07-01-1030"}},
		{"by phone is easiest for me", []string{"dropin-2027-06-24-1000", "dropin-2027-06-24-1030", "dropin-2027-06-24-1400", "dropin-2027-07-08-1400", "dropin-2027-07-08-1430"}},
	}
	var locations []string
	for _, d := range dropins {
		locations = append(locations, d.Location)
	}
	for _, tt := range tests {
		p := findPrefs(normalise(tt.text), locations)
		var got []Item
		for _, d := range dropins {
			if p.Suits(d.Starts.In(tz), d.Location) {
				got = append(got, d)
			}
		}
		if g := ids(got); !reflect.DeepEqual(g, tt.want) {
			t.Errorf("findPrefs(%q) suits %v, want %v (prefs %+v)", tt.text, g, tt.want, p)
		}
	}
}

func FuzzRead(f *testing.F) {
	for _, s := range []string{"book me on 15 July and 26/08 for 2", "cancel", "cud u bok me on weds pls ta", "PLEASE BOOK ME ON NEW TO CARRING TMROW", "cancle wendesday independance", "move from 15 July to the August one", "2", "01305 221000", strings.Repeat("the 15th ", 500), "after 99:99pm not in may", "+44 (0)7700 900123"} {
		f.Add(s)
	}
	sessions, dropins, tz := demoItems(f)
	var titles, places, rooms []string
	for _, s := range sessions {
		titles, places = append(titles, s.Title), append(places, s.Location)
	}
	for _, d := range dropins {
		rooms = append(rooms, d.Location)
	}
	now := time.Date(2027, 6, 15, 10, 0, 0, 0, tz)
	f.Add("the afternoon one in July, not the Weymouth one on Teams, anything except the 24th at County Hall")
	f.Fuzz(func(t *testing.T, s string) {
		r := Read(s, Context{Now: now, TZ: tz, Titles: titles, Places: places, Dropins: rooms, Offered: 5})
		for _, p := range r.Targets {
			// Beyond the list only as the whole reply ("7" to five), to
			// be told it is not there.
			if n, bare := bareNumber(normalise(s)); p.Number > 5 && (!bare || n != p.Number || len(r.Targets) != 1) {
				t.Fatalf("number %d beyond the list of 5", p.Number)
			}
			pick(p, sessions, tz)
		}
		if r.Places < 0 || r.Places > 10 {
			t.Fatalf("places %d", r.Places)
		}
	})
}

// BenchmarkRead measures reading a request against the demo timetable:
// a typical message, and the worst the 4 KB clip allows (every rule
// finding something everywhere). Method: go test -bench Read -benchmem
// ./mailbot/understand on the CI machine; compare runs with benchstat.
func BenchmarkRead(b *testing.B) {
	sessions, _, tz := demoItems(b)
	titles := titlesOf(sessions)
	c := Context{Now: time.Date(2027, 6, 15, 10, 0, 0, 0, tz), TZ: tz, Titles: titles, Offered: 8}
	for name, text := range map[string]string{
		"typical": "Hello, could you book me and my husband on 15 July and the new to caring one in August? " +
			"I use a wheelchair. My number is 01305 221000. Thanks, Mary",
		"worst": strings.Repeat("book 15 July 26/08 next tuesday the 3rd for 2 new to caring 01305 221000 wheelchair not in may after 2pm ", 40),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Read(text, c)
			}
		})
	}
}

// TestNeedsAsWritten: needs are repeated back in the person's words, case
// and all, without the rest of the sentence.
func TestNeedsAsWritten(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"4 please, I use a wheelchair", []string{"I use a wheelchair"}},
		{"the one about carers getting breaks sounds right", nil},
		{"she needs regular breaks", []string{"she needs regular breaks"}},
		{"Is the room on the ground floor? If not he won't be able to get in.", []string{"Is the room on the ground floor"}},
		{"Book 15 July. I'll need a BSL interpreter, and a quiet room if possible!", []string{"I'll need a BSL interpreter", "and a quiet room if possible"}},
		{"Large print please\nthanks", []string{"Large print please"}},
		{"book me on 15 July", nil},
		{"He is autistic and finds busy rooms hard, so a quiet corner to sit in would help", []string{"He is autistic and finds busy rooms hard", "so a quiet corner to sit in would help"}},
	} {
		if got := findNeeds(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("findNeeds(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
	// A need the mail program broke over two lines is kept whole.
	r := Read("Could I book the Weymouth session on 26 August please, for me and my son? He is autistic and finds\nbusy rooms hard.", Context{})
	if want := []string{"He is autistic and finds busy rooms hard"}; !slices.Equal(r.Needs, want) {
		t.Errorf("needs over a broken line = %q, want %q", r.Needs, want)
	}
}

// pick resolves p among items as the bot does: the numbered item when p
// is a number, else every item it matches.
func pick(p Pattern, items []Item, tz *time.Location) []Item {
	if p.Number > 0 {
		if p.Number <= len(items) {
			return items[p.Number-1 : p.Number]
		}
		return nil
	}
	var out []Item
	for _, it := range items {
		if p.Matches(it, tz) {
			out = append(out, it)
		}
	}
	return out
}

func TestRejoinWrapped(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"could you book me on the 29th june and the 18th august please, and put me\non your emails too.",
			"could you book me on the 29th june and the 18th august please, and put me on your emails too."},
		// A sentence that ends at the break, a short line, a list item
		// and a new paragraph stay apart.
		{"i would like to come to the one in august if there is still room.\nthanks", ""},
		{"cancel the 22nd\nbook the 15th", ""},
		{"three things please, in the order i need them done by you all:\n1. cancel the 22nd", ""},
		{"i would like to come to the one in august if there is still room and\n\nthanks", ""},
		{"i would like to come to the one in august if there is still room and\n- book my son", ""},
	} {
		want := cmp.Or(tc.want, tc.in)
		if got := rejoinWrapped(tc.in); got != want || len(got) != len(tc.in) {
			t.Errorf("rejoinWrapped(%q)\n = %q\nwant %q", tc.in, got, want)
		}
	}
}

// TestPrefsWithout: a group session booked beside a one-to-one takes its
// month and weekday out of the one-to-one's wishes.
func TestPrefsWithout(t *testing.T) {
	t.Parallel()
	p := Prefs{Months: []time.Month{time.July, time.August}, Weekdays: []time.Weekday{time.Thursday}}
	got := p.Without(Pattern{Place: "weymouth", Month: time.August, Weekday: time.Thursday, HasDay: true})
	if !slices.Equal(got.Months, []time.Month{time.July}) || len(got.Weekdays) != 0 {
		t.Errorf("Without = %+v", got)
	}
	if !slices.Equal(p.Months, []time.Month{time.July, time.August}) {
		t.Errorf("Without changed the wishes it was given: %+v", p)
	}
}
