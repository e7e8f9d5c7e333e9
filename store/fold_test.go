package store

import "testing"

func TestReplaceFold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ s, old, new, want string }{
		{"for jane@example.org (staff o@x): booked", "jane@example.org", "(erased 3)", "for (erased 3) (staff o@x): booked"},
		{"for Jane@Example.ORG and JANE@example.org", "jane@example.org", "X", "for X and X"},
		{"nothing here", "jane@example.org", "X", "nothing here"},
		{"é jane@example.org é", "JANE@EXAMPLE.ORG", "X", "é X é"},
		{"", "a", "b", ""},
		{"abc", "", "X", "abc"},
	} {
		if got := replaceFold(tc.s, tc.old, tc.new); got != tc.want {
			t.Errorf("replaceFold(%q, %q, %q) = %q, want %q", tc.s, tc.old, tc.new, got, tc.want)
		}
	}
}
