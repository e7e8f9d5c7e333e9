package understand

import (
	"slices"
	"strings"
	"testing"
)

// TestUrgent: the veiled ways people say they are at risk are flagged, as
// well as the plain words; the sentences that share their words but say
// nothing of harm are not. A miss here is worse than a false alarm, so
// every phrase someone finds missed belongs in the first list.
func TestUrgent(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		"Honestly I don't know how much longer I can go on like this",
		// As the README gives them.
		"I've fallen and can't get up",
		"the staff lock my bedroom door",
		"her carers haven't turned up and she has no food in",
		"my brother takes my money and won't let me see my friends",
		"yes if I'm still here by then",
		"I got all his tablets out and lined them up",
		"I don't know how much longer I can go on",
		"i dont know how long i can keep going",
		"Some days I feel like ending it.",
		"I just want to end it all",
		"What's the point of living",
		"There's no point any more",
		"no point anymore",
		"They'd all be better off without me",
		"I can't keep myself safe tonight",
		"I don't want to be here any more",
		"I want to die",
		"I keep thinking I'll hurt myself",
		"he hit me again last night",
		"I'm scared of him",
		"I can't go on.",
		"I can't go on like this",
		"I cant carry on anymore",
		"I can't take it any more",
		"I'm at breaking point with mum",
		"I'm not coping at all",
		"I have nothing left to live for",
		"nobody would miss me",
		"I've been thinking about taking my own life",
		"I'm suicidal",
		"my son is being abusive",
		"honestly I don't know how much longer I can\ngo on like this",
		"I can't go on\n\nJean",
		"ive fallen in the kitchen and cant get up",
		"Mum's fallen and she can't get out of her chair",
		"Her carers haven't turned up for 2 days and she has no food in",
		"my brother takes my money and he wont let me see my friends",
		"HELP ME PLEASE NOBODY LISTENS",
		"I don't know how to keep him safe and I'm not sleeping",
		"I'm not sure I can carry on much longer to be honest",
		"it would be easier for everyone if I just wasn't here",
		"I just want to go to sleep and not wake up",
		"I've been saving up my tablets",
		"if something happens to me, who will look after Tom",
		"No I won't be coming. I won't be here by then.",
		"I'm desperate, please ring me",
		// Found missed by the held-out corpus (corpus2).
		"since he died in March I don't really see the point of anything very much",
		"I'd like to come on the 21st. Not that I really see the point of anything much these days.",
		"I have put my affairs in order now and written to my son",
		"the new staff at my house shout at me and lock my bedroom door at night so i cant get out",
		"i am not aloud to use the phone",
		"lately i keep thinking everyone would manage fine without me",
		"if i didnt turn up to anything nobody would even notice i'd gone",
		"yes if im still here by then",
		"I wont be needing any of it after this week. Ive written letters for the kids and sorted the cat.",
		"last night I got all of his tablets and mine out and lined them up on the table",
		"I haven't seen her for four days, her curtains are still shut and the milk is on the step",
		"she has my bank card and I have to ask her for my own money",
	} {
		if got := Urgent(text); len(got) == 0 {
			t.Errorf("Urgent(%q) = nothing, want it flagged", text)
		}
	}
	for _, text := range []string{
		"I can't go on Tuesday",
		"Sorry, I can't go on the walk this week",
		"the session is ending at 3",
		"what's the point of the form?",
		"I'm on holiday until the 20th",
		"In the end it was a lovely morning",
		"I can't take this one, is there another time?",
		"Is there any point booking if I'm late?",
		"I don't want to go on the waiting list",
		"Please book me on 15 July",
		"Goodbye all, see you next week",
		"It was a pleasure, I hope it goes on for years",
		"Please end my subscription, I'm no longer caring for mum",
		"I'd kill for a day off! I'm desperate for a break haha",
		"I'm dying to come to the Weymouth one!",
		"Is the independence session ending at 3pm?",
		"What's the point of the session on charities?",
		"I won't be here next week, I'm away",
		"I always lock my door at night, so could the session be in the day?",
		"I'm sure you'll manage without me next week",
		"I see the point of the group now, thank you",
		"Joan will need a chair with arms, as she cannot get up from a low seat",
		"I've had an overdose of Teams meetings since I retired",
		"Is the room still there if I'm late?",
		"I have seen him at the Weymouth group for weeks",
		"I've written to my son about the 15th",
		"Could you post my card for the session?",
	} {
		if got := Urgent(text); len(got) > 0 {
			t.Errorf("Urgent(%q) = %q, want nothing", text, got)
		}
	}
}

// TestUrgentWordsAsWritten: staff are told what was found in the
// person's words, without the full stop after them, each once.
func TestUrgentWordsAsWritten(t *testing.T) {
	t.Parallel()
	got := Urgent("I can't go on. I'm scared, so scared.")
	if len(got) != 2 || got[0] != "can't go on" || got[1] != "scared" {
		t.Errorf("Urgent = %q, want [\"can't go on\" \"scared\"]", got)
	}
}

// TestUrgentKeys: every phrase urgentVeiled finds holds one of
// urgentKeys, which are what let it be scanned for at all. Each
// alternative of it is written out here, in its plainest form.
func TestUrgentKeys(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		"they lock my door", "and locked me in", "i am not allowed to go out", "we're never let see anyone",
		"i'm not aloud to phone", "he shouts at me", "they swear at me", "people would manage without me",
		"the family will be better without me", "i've put my affairs in order", "i have written goodbye letters",
		"i don't see the point in anything", "i cannot see any point of living",
	} {
		locs := urgentVeiled.FindAllStringIndex(text, -1)
		if len(locs) == 0 {
			t.Errorf("urgentVeiled finds nothing in %q", text)
		}
		for _, loc := range locs {
			m := " " + text[loc[0]:loc[1]] + " "
			if !slices.ContainsFunc(urgentKeys, func(k string) bool { return strings.Contains(m, k) }) {
				t.Errorf("urgentVeiled finds %q, which holds none of urgentKeys", m)
			}
		}
		if got := Urgent(text); len(got) == 0 {
			t.Errorf("Urgent(%q) = nothing", text)
		}
	}
}

// TestBereaved: words that tell of a death, for a reply that says sorry;
// "dying to come" tells of none.
func TestBereaved(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]bool{
		"No. My wife Sheila died on Friday. She was the one who wanted us to come.": true,
		"Alan passed away last month. Please could you cancel it":                   true,
		"I lost my husband in March and I'm finding things hard":                    true,
		"I'm dying to come to the Weymouth one!":                                    false,
		"Please book me on 15 July":                                                 false,
	} {
		if got := Read(text, Context{}).Bereaved; got != want {
			t.Errorf("Read(%q).Bereaved = %v, want %v", text, got, want)
		}
	}
}
