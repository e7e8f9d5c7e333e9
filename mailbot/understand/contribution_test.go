package understand

import (
	"testing"
	"time"
)

func TestOffersViews(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want bool
	}{
		{"I wanted to say that the Tuesday group has been a lifeline for my mum.", true},
		{"What would make my days better is having somewhere to go on a Saturday.", true},
		{"In my view there should be more transport to the day centres.", true},
		{"I think the council should keep the Weymouth centre open, it means a lot.", true},
		{"It would help if sessions were in the afternoon, as mornings are hard for us.", true},
		{"In answer to your question: a good day is one where I get out of the house.", true},
		{"I like going to the day centre.\nI like my friends there.\nI want to go swimming more.", true},
		{"Hello\n\nI like going to the cafe with my friends.\nI do not like being in the house all day.\n\nFrom Tyler", true},
		{"And for your question about a good day - mine is a walk along the front at Weymouth.", true},
		{"book me on the 15th", false},
		{"I'd like to book the 15th please", false},
		{"I want to book the 15th please", false},
		{"I think", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := Read(tt.text, Context{TZ: time.UTC}).Views; got != tt.want {
			t.Errorf("Read(%q).Views = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestConsentAnswer(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"YES": "yes", "Yes please": "yes", "NAME ME": "named", "name me please": "named", "yes, use my name": "named",
		"No": "no", "no thank you": "no", "NO.": "no", "maybe later": "", "": "",
	} {
		if got := Read(text, Context{TZ: time.UTC}).Consent; got != want {
			t.Errorf("Read(%q).Consent = %q, want %q", text, got, want)
		}
	}
}

func TestNamedWithViews(t *testing.T) {
	t.Parallel()
	c := Context{TZ: time.UTC}
	if !Read("Everything shuts at the weekend. You can use my name if it helps.", c).Named || Read("What's my name got to do with it", c).Named {
		t.Error("Read(…).Named misreads")
	}
}

func FuzzConsent(f *testing.F) {
	for _, s := range []string{"I wanted to say thank you for the session", "NAME ME", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		switch c := Read(s, Context{TZ: time.UTC}).Consent; c {
		case "", "yes", "no", "named":
		default:
			t.Fatalf("Read(%q).Consent = %q, none of the answers", s, c)
		}
	})
}
