// Package address compares email addresses the way the bot decides who
// someone is: in ASCII only.
//
// Unicode case folding is the wrong tool for identity. Under it U+017F
// LATIN SMALL LETTER LONG S equals "s" and U+212A KELVIN SIGN equals "k",
// so "bd.teſt" would pass for "bd.test" while a mail server's own strip
// rule, comparing ASCII, leaves it alone. Every comparison here folds
// A-Z to a-z and nothing else, and a name that must be ours (an
// authserv-id) is not ours if it holds any byte outside ASCII.
package address

import (
	"strings"

	"golang.org/x/net/idna"
)

// Fold is s with ASCII letters in lower case, and every other byte as it
// was.
func Fold(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// Equal reports whether a and b are the same once ASCII letters are
// folded. No other character matches anything but itself.
func Equal(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// ASCII reports whether s holds only ASCII bytes.
func ASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// EqualASCII is Equal for names that must be ASCII to be ours, such as an
// authserv-id (RFC 8601): anything else is a look-alike, never a match.
func EqualASCII(a, b string) bool {
	return ASCII(a) && ASCII(b) && Equal(a, b)
}

// Canonical is addr as the bot keeps it and compares it: the local part
// with ASCII letters folded, and the domain in its ASCII (IDNA) form, in
// lower case, so that who someone is and where their mail goes are one
// address. A domain IDNA refuses keeps its Unicode, folded in ASCII only,
// and fails where it is sent.
func Canonical(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return Fold(addr)
	}
	local, domain := addr[:at], addr[at+1:]
	if !ASCII(domain) {
		if a, err := idna.Lookup.ToASCII(domain); err == nil {
			domain = a
		}
	}
	return Fold(local) + "@" + Fold(domain)
}

// Base is addr without its +tag (subaddress), folded: the one mailbox
// that "mary+1@…", "mary+2@…" and "Mary@…" all reach.
func Base(addr string) string {
	addr = Fold(addr)
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	local := addr[:at]
	if plus := strings.IndexByte(local, '+'); plus > 0 {
		local = local[:plus]
	}
	return local + addr[at:]
}

// Tag is addr's +tag, folded, and whether it has one.
func Tag(addr string) (string, bool) {
	local := addr
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		local = addr[:at]
	}
	plus := strings.IndexByte(local, '+')
	if plus <= 0 {
		return "", false
	}
	return Fold(local[plus+1:]), true
}

// Domain is the part of addr after its last "@", or "" when it has none.
func Domain(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return addr[at+1:]
}
