package understand

import (
	"regexp"
	"strings"
)

// viewsWords open a view rather than a request: what someone thinks, wants
// the programme to hear, or would like their days to be.
var viewsWords = mustKeyed(`\b(?:` +
	`i (?:just )?(?:wanted|want|would like|'d like) to (?:say|share|tell you|let you know|add|put forward|give my)` +
	`|what would make (?:my|our|his|her|their) days? (?:better|good|easier)` +
	`|(?:a|my|our) (?:good|better) day (?:is|would be|for me)` +
	`|would make (?:a|the) (?:big |real )?difference` +
	`|(?:in my (?:view|opinion|experience)|my (?:view|thoughts?|opinion|experience) (?:is|are|has been))` +
	`|(?:i|we) (?:think|feel|believe) (?:that |there should|it would|it's|it is|more|the council|day)` +
	`|it would (?:really )?help (?:if|to have|us|me)` +
	`|(?:my|some) (?:thoughts|views|ideas|suggestions?) (?:on|about|for)` +
	`|(?:here are|here is|these are) (?:my|our|some) (?:thoughts|views|ideas)` +
	`|(?:in answer to|for|about|to) your question` +
	// Easy read: short plain sentences of what they like and don't.
	`|(?:^|[.!\n]\s*)i (?:really )?(?:like|love|enjoy|miss|do not like|don't like|dont like|wish)\b` +
	`)`)

// namedConsent is consent given with the views: "you can use my name".
var namedConsent = mustKeyed(`\b(?:you can|you may|feel free to|happy for you to|i'm happy for you to|please) use (?:(?:this|it|my (?:words|views|thoughts)) (?:and|with) )?my name\b`)

// offersViews reports whether the words offer views to the conversation
// ("I wanted to say…", "what would make my days better is…") rather than
// asking the bot for something. The desk heeds it only for a message
// whose request it could not read: "I think I'd like to book the 15th" is
// a booking.
func (w *written) offersViews() bool {
	return len(strings.Fields(w.low)) >= 5 && viewsWords.MatchString(w.low)
}

// consentWords are the answers to whether views may be used.
var (
	consentNamed = regexp.MustCompile(`^\W*(?:name me|yes,? (?:and )?(?:use|with|put) my name|use my name|you can name me)\b`)
	consentYes   = regexp.MustCompile(`^\W*(?:yes|yes please|ok|okay|that's fine|that is fine|fine|of course|sure)\b`)
	consentNo    = regexp.MustCompile(`^\W*(?:no|no thanks|no thank you|please don't|please do not|i'd rather not|i would rather not)\b`)
)

// consent reads the words as an answer to whether views may be used:
// "named", "yes" or "no", or "" when they answer none of them.
func (w *written) consent() string {
	s := clip(strings.TrimSpace(w.low), 200)
	switch {
	case consentNamed.MatchString(s):
		return "named"
	case consentNo.MatchString(s):
		return "no"
	case consentYes.MatchString(s):
		return "yes"
	}
	return ""
}
