package desk

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/betterdays/mailbot/mailbot/understand"
)

// ValidAddress accepts what we can safely put in an SMTP RCPT and a To
// header: one parseable address with a domain.
func ValidAddress(addr string) bool {
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != addr {
		return false
	}
	local, domain, ok := strings.Cut(addr, "@")
	return ok && local != "" && domain != "" && !strings.ContainsAny(addr, " \t\r\n<>")
}

// FirstName is how a reply greets someone: "Mary" for "Mary Jones", nothing
// for a name that looks like an address.
func FirstName(name string) string {
	name = understand.OneLine(name)
	if strings.Contains(name, "@") {
		return ""
	}
	if i := strings.IndexByte(name, ','); i > 0 { // "Jones, Mary"
		name = strings.TrimSpace(name[i+1:])
	}
	f, _, _ := strings.Cut(name, " ")
	if utf8.RuneCountInString(f) > maxFirstName {
		return "" // no one's first name: "Hello," reads better than a page of it
	}
	return f
}

// maxFirstName is the longest first name a greeting uses.
const maxFirstName = 40

// megabytes rounds up, so a message just over the limit never reads as
// being the limit.
func megabytes(n int64) string {
	return fmt.Sprintf("%d MB", (n+1<<20-1)>>20)
}
