package mailtest

import (
	"testing"

	"github.com/emersion/go-imap/v2"
)

// See flags the messages at uids in user's INBOX \Seen, as a person
// reading them in a mail client does.
func See(t testing.TB, addr, user string, uids ...imap.UID) {
	t.Helper()
	c, _ := Client{}.Login(t, addr, user)
	defer c.Close()
	if err := c.Store(imap.UIDSetNum(uids...), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
}
