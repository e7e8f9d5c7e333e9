package understand

import (
	"regexp"
	"strings"
)

// Words that ask us to erase what we hold about the writer (UK GDPR
// article 17). Each needs "me" or "my" near the thing to erase, so "delete
// the 15 July booking" or "remove the old session" are not taken for it.
const eraseVerb = `(delete|remove|erase|wipe|destroy|purge|clear|get rid of|scrub)`

var forgetWords = []keyed{
	// "delete my data", "please remove all my details", "erase all of my
	// personal information", "delete my account"
	mustKeyed(`\b` + eraseVerb + ` (all |any |every )?(of )?my (personal |contact |private )?(data|details|information|info|records?|account|e-?mail address(es)?|contact details|name and (e-?mail )?address)\b`),
	// "delete the data you hold about me", "remove everything you have on me"
	mustKeyed(`\b` + eraseVerb + `\b[^.!?]{0,30}\b(data|details|information|info|records?|everything)\b[^.!?]{0,30}\b(on|about|of) me\b`),
	// "remove me from your records", "delete me from your system"
	mustKeyed(`\b` + eraseVerb + ` me (completely |entirely |altogether )?from (all (of )?)?(your|the) (records?|database|databases|system|systems|files?|books|contacts)\b`),
	// "forget me", "please forget my details"
	mustKeyed(`\bforget (about )?(me|(all )?my (personal )?(data|details|information|info))\b`),
	mustKeyed(`\bright (to be forgotten|to erasure|of erasure)\b`),
	mustKeyed(`\b(data )?(erasure|deletion) request\b|\brequest (for |the )?(erasure|deletion) of my\b`),
	// "I don't want you to keep my details", "stop storing my data"
	mustKeyed(`\b(((don'?t|do not) want (you|the council|anyone) to)|stop) (keep|hold|have|stor)(e|ing)? (any of )?my (personal )?(data|details|information|info)\b`),
}

// notWanted is what, just before those words, turns them round: "please
// don't delete my details", "never forget me".
var notWanted = regexp.MustCompile(`\b(don'?t|do not|never|not|no need to|without)( please)? $`)

// fromTheList is what, just after them, makes them a request to leave the
// mailing list: "remove my email address from your mailing list".
var fromTheList = regexp.MustCompile(`^ from (your|the|this|our) (mailing |e-?mail(ing)? )?(list|newsletters?|e-?mails?|mailings?)\b`)

// AsksToForget reports whether text, someone's own words (as in an email
// of theirs that staff forward), asks us to erase what we hold about them.
func AsksToForget(text string) bool { return plainWritten(clip(text, maxRead)).asksToForget() }

// asksToForget reports whether the words or, unless it is a reply, the
// subject ask us to erase what we hold about the writer. It only reads:
// the bot asks them to confirm before anything is erased.
func (w *written) asksToForget() bool {
	s := w.withSubject()
	for _, re := range forgetWords {
		for _, loc := range re.FindAllStringIndex(s, -1) {
			if notWanted.MatchString(s[max(0, loc[0]-24):loc[0]]) || fromTheList.MatchString(s[loc[1]:]) {
				continue
			}
			return true
		}
	}
	return false
}

// accessWords ask what we hold about the writer (UK GDPR article 15):
// "what information do you hold about me?", "a copy of my data",
// "subject access request".
var accessWords = regexp.MustCompile(`\bwhat (personal )?(information|info|data|details|records?) (do|does|have) (you|the council|your (team|service)|better days)( got)? (hold|have|keep|store|got)\b[^.!?]{0,30}\b(on|about|of) me\b|\b(a )?copy of (all )?(my|the) (personal )?(data|information|info|details|records?)( you (hold|have|keep))?\b|\bsubject access( request)?\b|\bwhat do you (know|hold|have|keep) (on|about) me\b|\bsar request\b`)

// asksForData reports whether the words or, unless it is a reply, the
// subject ask for a copy of what we hold about the writer. The bot asks
// them to confirm, by a reply only they can send, before it sends
// anything; a request to erase is read first, and wins.
func (w *written) asksForData() bool {
	s := w.withSubject()
	// Every message is asked; few hold any of the words.
	if !strings.Contains(s, "what") && !strings.Contains(s, "copy") && !strings.Contains(s, "access") && !strings.Contains(s, "sar ") {
		return false
	}
	return accessWords.MatchString(s)
}
