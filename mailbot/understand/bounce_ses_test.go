package understand

import "testing"

// TestReadSES: an SES notification names its bounced recipients, hard or
// soft by their status; one that is no bounce, or no JSON, names nobody.
func TestReadSES(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text string
		want       []Bounce
	}{
		{"permanent", `{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"Kim@Example.org","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}]}}`,
			[]Bounce{{Recipient: "kim@example.org", Status: "5.1.1", Permanent: true, Reason: ReasonUserUnknown, Hard: true, Diagnostic: "550 5.1.1 user unknown"}}},
		{"transient, wrapped in SNS's envelope", `{"Type":"Notification","Message":"{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Transient\",\"bouncedRecipients\":[{\"emailAddress\":\"kim@example.org\",\"action\":\"failed\",\"status\":\"4.2.2\",\"diagnosticCode\":\"smtp; 452 4.2.2 mailbox full\"}]}}"}`,
			[]Bounce{{Recipient: "kim@example.org", Status: "4.2.2", Reason: ReasonMailboxFull, Diagnostic: "452 4.2.2 mailbox full"}}},
		{"a delivery", `{"notificationType":"Delivery","delivery":{"recipients":["kim@example.org"]}}`, nil},
		{"not JSON", `{"notificationType": broken`, nil},
	} {
		var l bounceList
		n := l.readSES(tc.text)
		if n != len(tc.want) || len(l.bounces) != len(tc.want) {
			t.Errorf("%s: readSES named %d, read %v, want %v", tc.name, n, l.bounces, tc.want)
			continue
		}
		for i := range tc.want {
			if l.bounces[i] != tc.want[i] {
				t.Errorf("%s: readSES = %+v, want %+v", tc.name, l.bounces[i], tc.want[i])
			}
		}
	}
}
