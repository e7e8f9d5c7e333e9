package understand

import "testing"

func TestSubjectRef(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ subject, ref, rest string }{
		{"Re: Your booking [BD-7Q3KAB]", "7q3kab", "Re: Your booking"},
		{"RE: RE: Your booking [bd-aaaaaa] [BD-BBBBBB]", "bbbbbb", "RE: RE: Your booking"},
		{"Re: [BD-7Q3KA]", "", "Re: [BD-7Q3KA]"},
		{"Re: Your booking [BD-7Q3K1B]", "", "Re: Your booking [BD-7Q3K1B]"},
		{"Hello", "", "Hello"},
	} {
		if got := SubjectRef(tc.subject); got != tc.ref {
			t.Errorf("SubjectRef(%q) = %q, want %q", tc.subject, got, tc.ref)
		}
		if got := WithoutSubjectRef(tc.subject); got != tc.rest {
			t.Errorf("WithoutSubjectRef(%q) = %q, want %q", tc.subject, got, tc.rest)
		}
	}
}
