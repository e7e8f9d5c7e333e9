package understand

import "testing"

func TestNamedByPhone(t *testing.T) {
	t.Parallel()
	titles := []string{"Learning new skills", "Promoting independence"}
	tests := []struct {
		fresh, name, phone string
	}{
		{"book Mary Smith, 01305 123456, on the 15 July walk", "Mary Smith", "01305 123456"},
		{"Please add Mr John Brown (07700 900123) to Learning new skills", "Mr John Brown", "07700 900123"},
		{"Could you book Siân Jones on the 6 July one? Her number is 01305 221000.", "Siân Jones", "01305 221000"},
		{"Book Learning new skills for my client, 01305 123456", "", ""}, // a title, not a name
		{"book Mary Smith on the 15 July walk", "", ""},                  // no number: her address is asked for
		{"book me on the 15th, my number is 01305 123456", "", ""},       // for themselves
		{"Had a call from Mr Dennis Hale, 01305 900864, he has no email. Please book him on Learning new skills on 6 July.", "Mr Dennis Hale", "01305 900864"},
		{"Spoke to Edna Carter today (01305 900617). Can you add her to the 6 July one?", "Edna Carter", "01305 900617"},
		{"Had a call from Mr Dennis Hale, 01305 900864, asking about parking.", "", ""}, // nobody to book
		{"", "", ""},
	}
	for _, tt := range tests {
		b, ok := (&Message{Fresh: tt.fresh}).NamedByPhone(titles)
		if ok != (tt.name != "") || b.Name != tt.name || b.Phone != tt.phone || b.Addr != "" {
			t.Errorf("NamedByPhone(%q) = %+v, %v; want %q, %q", tt.fresh, b, ok, tt.name, tt.phone)
		}
	}
}

func FuzzNamedByPhone(f *testing.F) {
	for _, s := range []string{"book Mary Smith, 01305 123456, on the walk", "add Dr X (0)", "book\u00a0Ä 0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if b, ok := (&Message{Fresh: s}).NamedByPhone(nil); ok && (b.Name == "" || b.Phone == "") {
			t.Fatalf("NamedByPhone(%q) = %+v without a name or a phone", s, b)
		}
	})
}
