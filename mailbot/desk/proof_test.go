package desk

import (
	"strings"
	"testing"

	"github.com/betterdays/mailbot/mailbot/address"
	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/emersion/go-message/mail"
)

func arHeader(v string) mail.Header {
	var h mail.Header
	if v != "" {
		h.Set("Authentication-Results", v)
	}
	return h
}

func TestServerProof(t *testing.T) {
	const id, from = "bd.test", "officer@bd.test"
	for _, c := range []struct {
		name, ar string
		want     Proof
	}{
		{"none", "", Unproven},
		{"smtp auth as the address", "bd.test; auth=pass smtp.auth=officer@bd.test", AddressAuth},
		{"authserv-id in capitals", "BD.TEST; auth=pass smtp.auth=OFFICER@bd.test", AddressAuth},
		{"long s in the authserv-id", "bd.te\u017ft; auth=pass smtp.auth=officer@bd.test", Unproven},
		{"kelvin sign in the authserv-id", "\u212ad.test; auth=pass smtp.auth=officer@bd.test", Unproven},
		{"another server", "mx.evil.example; auth=pass smtp.auth=officer@bd.test", Unproven},
		{"smtp auth as someone else", "bd.test; auth=pass smtp.auth=zed@bd.test", Unproven},
		{"smtp auth with a look-alike", "bd.test; auth=pass smtp.auth=o\u212Aficer@bd.test", Unproven},
		{"smtp auth failed", "bd.test; auth=fail smtp.auth=officer@bd.test", Unproven},
		{"dkim identity is the address", "bd.test; dkim=pass header.d=bd.test header.i=officer@bd.test", AddressAuth},
		{"dkim for the domain", "bd.test; dkim=pass header.d=bd.test", DomainAuth},
		{"dkim for a parent domain", "bd.test; dkim=pass header.d=test", DomainAuth},
		{"dkim for another domain", "bd.test; dkim=pass header.d=evil.example", Unproven},
		{"dkim for a look-alike", "bd.test; dkim=pass header.d=bd.te\u017ft", Unproven},
		{"dmarc for the domain", "bd.test; dmarc=pass header.from=bd.test", DomainAuth},
		{"dmarc for another domain", "bd.test; dmarc=pass header.from=evil.example", Unproven},
		{"dmarc failed", "bd.test; dmarc=fail header.from=bd.test", Unproven},
		{"spf aligned", "bd.test; spf=pass smtp.mailfrom=bounces@mail.bd.test", DomainAuth},
		{"spf for someone else's domain", "bd.test; spf=pass smtp.mailfrom=x@evil.example", Unproven},
		{"spf on a sibling is not aligned", "bd.test; spf=pass smtp.mailfrom=x@ab.test", Unproven},
		{"the best of several", "bd.test; spf=fail smtp.mailfrom=bd.test; dmarc=pass header.from=bd.test; auth=pass smtp.auth=officer@bd.test", AddressAuth},
	} {
		if got := ServerProof(arHeader(c.ar), id, from); got != c.want {
			t.Errorf("%s: ServerProof(%q) = %v, want %v", c.name, c.ar, got, c.want)
		}
	}
	// Only the topmost field is ours; what the sender wrote is below it.
	var h mail.Header // Add puts a field on top, as a receiving server does
	h.Add("Authentication-Results", "bd.test; auth=pass smtp.auth=officer@bd.test")
	h.Add("Authentication-Results", "bd.test; none")
	if got := ServerProof(h, id, from); got != Unproven {
		t.Errorf("a forged field below ours: %v, want unproven", got)
	}
}

// FuzzServerProof: whatever the field says, it proves nothing unless its
// authserv-id is ours in ASCII, and never proves an address that is not
// the From, folded in ASCII.
func FuzzServerProof(f *testing.F) {
	f.Add("bd.test; auth=pass smtp.auth=officer@bd.test", "officer@bd.test")
	f.Add("bd.te\u017ft; auth=pass smtp.auth=officer@bd.test", "officer@bd.test")
	f.Add("\u212ad.test; dmarc=pass header.from=bd.test", "officer@bd.test")
	f.Add("bd.test; auth=pass smtp.auth=o\u212Afficer@bd.test", "officer@bd.test")
	f.Add("bd.test; dkim=pass header.d=bd.te\u017ft header.i=officer@bd.te\u017ft", "officer@bd.test")
	f.Fuzz(func(t *testing.T, ar, from string) {
		p := ServerProof(arHeader(ar), "bd.test", from)
		if p == Unproven {
			return
		}
		id, _, _ := strings.Cut(ar, ";")
		id = strings.TrimSpace(id)
		if !strings.EqualFold(id, "bd.test") || !address.ASCII(id) {
			t.Fatalf("%q proved %q (%v) with authserv-id %q", ar, from, p, id)
		}
		if p == AddressAuth && !strings.Contains(address.Fold(ar), address.Fold(from)) {
			t.Fatalf("%q proved the address %q, which it does not name", ar, from)
		}
	})
}

// TestStaffProvenAsAddress: a pass for the staff domain proves the domain,
// not which account wrote the From, unless the operator says their server
// binds senders to logins.
func TestStaffProvenAsAddress(t *testing.T) {
	for _, c := range []struct {
		setting, ar string
		want        bool
	}{
		{"", "localhost; auth=pass smtp.auth=" + officer, true},
		{"", "localhost; dmarc=pass header.from=localhost", false},
		{"", "localhost; dkim=pass header.d=localhost", false},
		{"domain", "localhost; dmarc=pass header.from=localhost", true},
		{"domain", "localhost; auth=pass smtp.auth=zed@localhost", false},
		{"domain", "localhos\u212A; dmarc=pass header.from=localhost", false},
	} {
		d := New(Env{AuthServID: "localhost", Staff: []string{officer}, StaffDomainProof: c.setting == "domain"})
		m := &understand.Message{From: officer, Header: arHeader(c.ar)}
		if got := d.isStaff(m); got != c.want {
			t.Errorf("MAILBOT_STAFF_PROOF=%q, %q: staff %v, want %v", c.setting, c.ar, got, c.want)
		}
	}
	d := New(Env{AuthServID: "localhost", Staff: []string{officer}})
	// A From that Unicode case folding would take for the officer's.
	kelvin := &understand.Message{From: "o\u212Afficer@localhost", Header: arHeader("localhost; auth=pass smtp.auth=o\u212Afficer@localhost")}
	if d.isStaff(kelvin) {
		t.Error("a look-alike of a staff address was taken for staff")
	}
}

const officer = "officer@localhost"
