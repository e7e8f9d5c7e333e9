package store

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func (e *bookingsEnv) saveOffer(o Offer) {
	e.t.Helper()
	e.write(func(tx *Tx) error { return tx.SaveOffer(e.ctx, o, bookT0) })
}

func (e *bookingsEnv) findOffer(personID int64, ref OfferRef) (Offer, error) {
	e.t.Helper()
	var o Offer
	var findErr error
	e.write(func(tx *Tx) error { o, findErr = tx.FindOffer(e.ctx, personID, ref); return nil })
	return o, findErr
}

// sameOffer compares offers ignoring the database id, with nil and empty
// item lists alike.
func sameOffer(a, b Offer) bool {
	return a.Token == b.Token && a.MessageID == b.MessageID && a.PersonID == b.PersonID && a.Kind == b.Kind &&
		slices.Equal(a.Items, b.Items) && a.Places == b.Places && a.Phone == b.Phone && a.Needs == b.Needs
}

func TestOfferRoundTrip(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	ann := e.person("ann@example.org")
	for _, o := range []Offer{
		{Token: "t1", MessageID: "<list1@bot.example>", Kind: OfferBook, Items: []string{"s3", "s1", "s2"},
			Places: 2, Phone: "01234 567890", Needs: "wheelchair user; hearing loop please"},
		{Token: "t2", MessageID: "<list2@bot.example>", Kind: OfferCancel, Items: []string{"17", "4"}},
		{Token: "t3", MessageID: "<conf@bot.example>", Kind: OfferBooked, Items: []string{"9"}, Places: 1},
		{Token: "t4", MessageID: "<empty@bot.example>", Kind: OfferBook},
		{Token: "t5", MessageID: "<dropin@bot.example>", Kind: OfferBook, Items: []string{"dropin-2027-07-01-10:00", "Dropin 2"}, Needs: "  café, quiet room  "},
	} {
		t.Run(o.Token, func(t *testing.T) {
			o.PersonID = ann
			e.saveOffer(o)
			got, err := e.findOffer(ann, OfferRef{Token: o.Token})
			if err != nil {
				t.Fatal(err)
			}
			if got.ID == 0 || !sameOffer(got, o) {
				t.Errorf("FindOffer by token = %+v, want %+v", got, o)
			}
			byMsg, err := e.findOffer(ann, OfferRef{MessageIDs: []string{o.MessageID}})
			if err != nil || byMsg.ID != got.ID || !sameOffer(byMsg, o) {
				t.Errorf("FindOffer by message id = %+v, %v; want %+v", byMsg, err, got)
			}
		})
	}
}

// TestOfferItemsWithComma: session ids are the organiser's own keys, and
// the timetable import accepts any non-empty id, commas included.
func TestOfferItemsWithComma(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	ann := e.person("ann@example.org")
	o := Offer{Token: "t1", MessageID: "<m@bot>", PersonID: ann, Kind: OfferBook, Items: []string{"Dorchester, 1 July", "s2"}}
	e.saveOffer(o)
	got, err := e.findOffer(ann, OfferRef{Token: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Items, o.Items) {
		t.Errorf("offer items: saved %q, got %q", o.Items, got.Items)
	}
}

func TestFindOffer(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	ann, bob := e.person("ann@example.org"), e.person("bob@example.org")
	offers := map[string]Offer{
		"a1": {Token: "aaaaaa1t", MessageID: "<a1@bot>", PersonID: ann, Kind: OfferBook, Items: []string{"s1", "s2"}},
		"a2": {Token: "aaaaab2t", MessageID: "<a2@bot>", PersonID: ann, Kind: OfferBooked, Items: []string{"5"}},
		"b1": {Token: "bbbbbb1t", MessageID: "<b1@bot>", PersonID: bob, Kind: OfferCancel, Items: []string{"7"}},
		"b2": {Token: "bbbbbc2t", MessageID: "<b2@bot>", PersonID: bob, Kind: OfferNewsletter, Items: []string{"1"}},
		"b3": {Token: "bbbbbd3t", MessageID: "<b3@bot>", PersonID: bob, Kind: OfferForget, Items: []string{}},
	}
	for _, k := range []string{"a1", "a2", "b1", "b2", "b3"} {
		e.saveOffer(offers[k])
	}
	since := bookT0.Add(-time.Hour)
	for _, tc := range []struct {
		name   string
		person int64
		ref    OfferRef
		want   string // key in offers, "" for ErrNotFound
	}{
		{"by token", ann, OfferRef{Token: "aaaaaa1t"}, "a1"},
		{"message ids before token", ann, OfferRef{Token: "aaaaaa1t", MessageIDs: []string{"<a2@bot>"}}, "a2"},
		{"by In-Reply-To", ann, OfferRef{MessageIDs: []string{"<a1@bot>"}}, "a1"},
		{"newest in References wins", ann, OfferRef{MessageIDs: []string{"<a1@bot>", "<a2@bot>"}}, "a2"},
		{"newest in References wins, other order", ann, OfferRef{MessageIDs: []string{"<a2@bot>", "<a1@bot>"}}, "a1"},
		{"unknown ids skipped", ann, OfferRef{MessageIDs: []string{"<x@elsewhere>", "<a1@bot>", "<y@elsewhere>"}}, "a1"},
		{"unknown token falls back to nothing", ann, OfferRef{Token: "nope"}, ""},
		{"unknown ids fall back to the subject", ann, OfferRef{MessageIDs: []string{"<x@elsewhere>"}, Subject: "aaaaab", Token: "aaaaaa1t"}, "a2"},
		{"subject before token", ann, OfferRef{Subject: "AAAAAA", Token: "aaaaab2t"}, "a1"},
		{"short subject reference ignored", ann, OfferRef{Subject: "aaaaa"}, ""},
		{"the other person's own", bob, OfferRef{Token: "bbbbbb1t"}, "b1"},
		{"another's token", ann, OfferRef{Token: "bbbbbb1t"}, ""},
		{"another's subject reference", ann, OfferRef{Subject: "bbbbbb"}, ""},
		{"another's token, own message id", ann, OfferRef{Token: "bbbbbb1t", MessageIDs: []string{"<a1@bot>"}}, "a1"},
		{"another's message id", ann, OfferRef{MessageIDs: []string{"<b1@bot>"}}, ""},
		{"another's newer message id skipped", ann, OfferRef{MessageIDs: []string{"<a1@bot>", "<b1@bot>"}}, "a1"},
		{"another's offers by token and message id", bob, OfferRef{Token: "aaaaaa1t", MessageIDs: []string{"<a1@bot>", "<a2@bot>"}}, ""},
		{"nothing cited", ann, OfferRef{}, ""},
		{"nothing cited: the newest question", ann, OfferRef{Since: since}, "a2"},
		{"nothing cited, none since", ann, OfferRef{Since: bookT0.Add(time.Hour)}, ""},
		{"the newest question is never a newsletter preview nor an erasure", bob, OfferRef{Since: since}, "b1"},
		{"an erasure is found when cited", bob, OfferRef{Subject: "BBBBBD"}, "b3"},
		{"a reply to something else is not guessed", ann, OfferRef{MessageIDs: []string{"<x@elsewhere>"}, Since: since}, ""},
		{"empty token and ids", ann, OfferRef{MessageIDs: []string{}}, ""},
		{"unknown person", 999, OfferRef{Token: "aaaaaa1t", MessageIDs: []string{"<a1@bot>"}, Since: since}, ""},
		{"message id is exact", ann, OfferRef{MessageIDs: []string{"a1@bot"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.findOffer(tc.person, tc.ref)
			if tc.want == "" {
				if !errors.Is(err, ErrNotFound) {
					t.Errorf("FindOffer = %+v, %v; want ErrNotFound", got, err)
				}
				return
			}
			if err != nil || !sameOffer(got, offers[tc.want]) {
				t.Errorf("FindOffer = %+v, %v; want %s %+v", got, err, tc.want, offers[tc.want])
			}
		})
	}
}

func TestSaveOfferRejects(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	ann := e.person("ann@example.org")
	e.saveOffer(Offer{Token: "t1", MessageID: "<m1@bot>", PersonID: ann, Kind: OfferBook, Items: []string{"s1"}})
	for _, tc := range []struct {
		name string
		o    Offer
	}{
		{"token used", Offer{Token: "t1", MessageID: "<m2@bot>", PersonID: ann, Kind: OfferBook}},
		{"message id used", Offer{Token: "t2", MessageID: "<m1@bot>", PersonID: ann, Kind: OfferBook}},
		{"unknown kind", Offer{Token: "t3", MessageID: "<m3@bot>", PersonID: ann, Kind: "maybe"}},
		{"unknown person", Offer{Token: "t4", MessageID: "<m4@bot>", PersonID: 999, Kind: OfferBook}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := e.s.Write(e.ctx, func(tx *Tx) error { return tx.SaveOffer(e.ctx, tc.o, bookT0.Add(time.Minute)) })
			if err == nil {
				t.Errorf("SaveOffer(%+v) succeeded", tc.o)
			}
		})
	}
	// The first is untouched.
	if o, err := e.findOffer(ann, OfferRef{Token: "t1"}); err != nil || o.MessageID != "<m1@bot>" || !slices.Equal(o.Items, []string{"s1"}) {
		t.Errorf("original offer = %+v, %v", o, err)
	}
}
