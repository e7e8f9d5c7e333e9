package understand

import (
	"regexp"
	"strings"
)

// namedForPhone is a request verb and the capitalised name after it,
// ended by a comma, a bracket, a dash or the word that leads on to a
// session or a number: "book Mary Smith, 01305 123456, on the walk",
// "Please add Mr John Brown (07700 900123) to Learning new skills".
var namedForPhone = regexp.MustCompile(`\b(?i:book|add|put|register|enrol|sign up)\s+` +
	`((?:(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+)?[A-Z][\p{L}'-]+(?:\s+[A-Z][\p{L}'-]+){0,2})` +
	`\s*(?:[,(–-]|(?i:on|onto|in|into|for|to|tel|phone|mobile|who)\b)`)

// calledBy is the same person named as who rang, and then asked for by
// a pronoun: "Had a call from Mr Dennis Hale, 01305 900864, he has no
// email. Please book him on Learning new skills".
var (
	calledBy = regexp.MustCompile(`(?i:\b(?:a call|a phone call|a ring|a message) from|\b(?:rang|phoned|spoke to|spoke with|talked to|talking to|speaking to))\s+` +
		`((?:(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+)?[A-Z][\p{L}'-]+(?:\s+[A-Z][\p{L}'-]+){0,2})` +
		`\s*(?:[,(–-]|(?i:on|who|this|today|yesterday)\b)`)
	bookThem = regexp.MustCompile(`(?i:\b(?:book|add|put|register|enrol|sign up)\s+(?:him|her|them)\b)`)
)

// NamedByPhone reads a note that names someone by name and phone number
// with no email address ("book Mary Smith, 01305 123456, on the 15 July
// walk"), as staff write after a phone call. The Behalf has no Addr; its
// Note is the whole note, phone and all, so it reads as a request with
// the number. A title after the verb ("book Learning new skills for …")
// names a session, not a person; nor is someone who rang ("a call from
// Mr Hale, 01305 900864 … please book him") anyone else. The phone must
// be in the note itself, not the writer's signature.
func (m *Message) NamedByPhone(titles []string) (Behalf, bool) {
	text := clip(m.Fresh, maxRead)
	phone := Phone(text)
	if phone == "" {
		return Behalf{}, false
	}
	for _, match := range namedForPhone.FindAllStringSubmatch(text, -1) {
		name := strings.TrimSpace(match[1])
		if startsTitle(name, titles) || askingWords[strings.ToLower(name)] {
			continue
		}
		return Behalf{Name: name, Phone: phone, Note: text}, true
	}
	if m := calledBy.FindStringSubmatch(text); m != nil && bookThem.MatchString(text) && !startsTitle(m[1], titles) {
		return Behalf{Name: strings.TrimSpace(m[1]), Phone: phone, Note: text}, true
	}
	return Behalf{}, false
}
