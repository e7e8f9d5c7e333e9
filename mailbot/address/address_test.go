package address

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// confusables fold to ASCII letters under Unicode's rules, never here.
var confusables = []string{"\u017f", "\u212a", "\u0130", "\u0131", "\uff53", "\u0455", "\u1e9e"}

func TestEqual(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"officer@bd.test", "OFFICER@BD.TEST", true},
		{"officer@bd.test", "officer@bd.te\u017ft", false},
		{"kate@bd.test", "\u212aate@bd.test", false},
		{"mary@example.org", "mary@example.org ", false},
		{"", "", true},
	} {
		if got := Equal(c.a, c.b); got != c.want {
			t.Errorf("Equal(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
	if EqualASCII("bd.te\u017ft", "bd.te\u017ft") {
		t.Error("EqualASCII took a non-ASCII name for ours")
	}
}

func TestCanonicalAndBase(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, canonical, base, tag string }{
		{"Mary.Jones+Books@Example.ORG", "mary.jones+books@example.org", "mary.jones@example.org", "books"},
		{"\u212aate@example.org", "\u212aate@example.org", "\u212aate@example.org", ""},
		{"mary@b\u00fccher.example", "mary@xn--bcher-kva.example", "mary@xn--bcher-kva.example", ""},
		{"mary@\u212aent.example", "mary@kent.example", "mary@kent.example", ""}, // where DNS would send it
		{"+tag@example.org", "+tag@example.org", "+tag@example.org", ""},
		{"no-at-sign", "no-at-sign", "no-at-sign", ""},
	} {
		if got := Canonical(c.in); got != c.canonical {
			t.Errorf("Canonical(%q) = %q, want %q", c.in, got, c.canonical)
		}
		if got := Base(Canonical(c.in)); got != c.base {
			t.Errorf("Base(%q) = %q, want %q", c.in, got, c.base)
		}
		if got, _ := Tag(c.in); got != c.tag {
			t.Errorf("Tag(%q) = %q, want %q", c.in, got, c.tag)
		}
	}
}

// FuzzEqual: two strings are equal only where they are the same but for
// ASCII case; a look-alike of an ASCII name never equals it.
func FuzzEqual(f *testing.F) {
	f.Add("officer@bd.test", "OFFICER@BD.TEST")
	for _, c := range confusables {
		f.Add("bd.test", strings.Replace("bd.test", "s", c, 1))
		f.Add("kate@bd.test", c+"ate@bd.test")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		eq := Equal(a, b)
		if eq != (Fold(a) == Fold(b)) {
			t.Fatalf("Equal(%q, %q) = %v, but folded %q and %q", a, b, eq, Fold(a), Fold(b))
		}
		if eq && ASCII(a) != ASCII(b) {
			t.Fatalf("Equal(%q, %q): an ASCII string equals a non-ASCII one", a, b)
		}
		if EqualASCII(a, b) && (!ASCII(a) || !ASCII(b)) {
			t.Fatalf("EqualASCII(%q, %q) with non-ASCII", a, b)
		}
		if len(Fold(a)) != len(a) {
			t.Fatalf("Fold(%q) changed the length", a)
		}
		if c := Canonical(a); Canonical(c) != c && utf8.ValidString(a) {
			t.Fatalf("Canonical not stable: %q -> %q -> %q", a, c, Canonical(c))
		}
		if Base(a) != Base(Base(a)) {
			t.Fatalf("Base not stable for %q", a)
		}
	})
}
