package understand

import (
	"regexp"
	"strings"
)

// subjectRef is the reference the bot puts in the subjects of messages a
// reply may answer ("Re: Your booking [BD-7Q3KAB]"). Some clients drop
// In-Reply-To and Reply-To; almost none drop the subject.
var subjectRef = regexp.MustCompile(`(?i)\s*\[bd-([a-z2-7]{6})\]`)

// SubjectRef returns the last reference in subject, lower case, without
// "BD-"; "" when there is none. The last is the newest: each reply of ours
// carries only its own, but a person's client may keep an older one.
func SubjectRef(subject string) string {
	all := subjectRef.FindAllStringSubmatch(subject, -1)
	if len(all) == 0 {
		return ""
	}
	return strings.ToLower(all[len(all)-1][1])
}

// WithoutSubjectRef is subject with every reference taken out.
func WithoutSubjectRef(subject string) string {
	return strings.TrimSpace(subjectRef.ReplaceAllString(subject, ""))
}
