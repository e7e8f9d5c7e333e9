package desk

import (
	"slices"

	"github.com/betterdays/mailbot/mailbot/address"
	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-msgauth/authres"
)

// Proof is how far a message shows that it comes from its From address.
// Anyone can write any From; what a stranger must not be able to do in
// someone's name (give up or take their places, join them to the list)
// waits for proof, or for their reply to a question only they receive.
type Proof int

const (
	Unproven Proof = iota
	// Cited: it refers to mail we sent to that address (a Message-ID of
	// ours, our subject reference, our Reply-To token), which only the
	// person it went to has seen.
	Cited
	// DomainAuth: our own receiving server says DMARC passed for the From
	// domain, or SPF or DKIM passed for a domain aligned with it. That
	// proves the domain sent it; where the domain lets its accounts write
	// one another's From, not which account.
	DomainAuth
	// AddressAuth: our own receiving server says it was sent by that very
	// address: SMTP AUTH as it, or a DKIM signature whose identity it is.
	AddressAuth
)

func (p Proof) String() string {
	switch p {
	case Cited:
		return "cites our mail"
	case DomainAuth:
		return "domain authenticated"
	case AddressAuth:
		return "address authenticated"
	}
	return "unproven"
}

// isStaff reports whether m comes from a staff address and our own mail
// server vouches for that address. A From header alone proves nothing:
// anyone can write one; nor, by default, does a pass for the domain, as
// any account there may be able to write another's From.
func (d *Desk) isStaff(m *understand.Message) bool {
	return d.staffBy(m.From, ServerProof(m.Header, d.env.AuthServID, m.From))
}

// staffBy reports whether from is a staff address that what our server
// says of it (p) proves.
func (d *Desk) staffBy(from string, p Proof) bool {
	if !d.staffAddress(from) {
		return false
	}
	return p == AddressAuth || p == DomainAuth && d.env.StaffDomainProof
}

// staffAddress reports whether from is one of the staff addresses, proven
// or not.
func (d *Desk) staffAddress(from string) bool {
	return slices.ContainsFunc(d.env.Staff, func(s string) bool { return address.Equal(s, from) })
}

// serverProof is what the topmost Authentication-Results field (RFC 8601)
// proves of from, if our own server (authservID) wrote it. Only the
// topmost is read, because a receiving server adds its own above whatever
// the sender wrote (and removes forged ones with its name, section 5).
// Names are compared in ASCII: a server's strip rule does, so a look-alike
// of our authserv-id survives it and must not pass here.
func ServerProof(h mail.Header, authservID, from string) Proof {
	if authservID == "" || from == "" {
		return Unproven
	}
	v := h.Get("Authentication-Results")
	if v == "" {
		return Unproven
	}
	id, results, err := authres.Parse(v)
	if err != nil || !address.EqualASCII(id, authservID) {
		return Unproven
	}
	domain := address.Domain(from)
	best := Unproven
	for _, r := range results {
		p := Unproven
		switch r := r.(type) {
		case *authres.AuthResult:
			if r.Value == authres.ResultPass && address.EqualASCII(r.Auth, from) {
				p = AddressAuth
			}
		case *authres.DKIMResult:
			switch {
			case r.Value != authres.ResultPass:
			case r.Identifier != "" && address.EqualASCII(r.Identifier, from):
				p = AddressAuth
			case aligned(r.Domain, domain):
				p = DomainAuth
			}
		case *authres.DMARCResult:
			if r.Value == authres.ResultPass && address.EqualASCII(r.From, domain) {
				p = DomainAuth
			}
		case *authres.SPFResult:
			if r.Value == authres.ResultPass && aligned(address.Domain("@"+r.From), domain) {
				p = DomainAuth
			}
		}
		best = max(best, p)
	}
	return best
}

// aligned reports whether a domain that passed (SPF's MAIL FROM, DKIM's
// d=) vouches for the From domain, in DMARC's relaxed sense as far as it
// can be told without the public suffix list: the same domain, or one a
// subdomain of the other. Anything else is someone else's domain.
func aligned(passed, from string) bool {
	if passed == "" || from == "" || !address.ASCII(passed) || !address.ASCII(from) {
		return false
	}
	passed, from = address.Fold(passed), address.Fold(from)
	return passed == from || hasSuffixDot(passed, from) || hasSuffixDot(from, passed)
}

// hasSuffixDot reports whether sub is a subdomain of parent.
func hasSuffixDot(sub, parent string) bool {
	return len(sub) > len(parent) && sub[len(sub)-len(parent)-1] == '.' && sub[len(sub)-len(parent):] == parent
}
