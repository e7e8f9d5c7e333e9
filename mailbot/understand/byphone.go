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

// NamedByPhone reads a note that names someone by name and phone number
// with no email address ("book Mary Smith, 01305 123456, on the 15 July
// walk"), as staff write after a phone call. The Behalf has no Addr; its
// Note is the whole note, phone and all, so it reads as a request with
// the number. A title after the verb ("book Learning new skills for …")
// names a session, not a person. The phone must be in the note itself,
// not the writer's signature.
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
	return Behalf{}, false
}
