package mailserver

import (
	"bytes"
	"fmt"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// account is one address's mailboxes plus a change signal for IDLE.
//
// The signal exists because imapmemserver's own IDLE loses wake-ups:
// imapserver sends "+ idling" before SessionTracker.Idle subscribes, and
// that never looks at updates queued in between, so a message delivered
// right after a client starts IDLE went unannounced until the next one.
type account struct {
	user *imapmemserver.User

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
}

func newAccount(name string) *account {
	u := imapmemserver.NewUser(name, "")
	// A fresh user has no mailboxes, so creating INBOX cannot fail.
	_ = u.Create("INBOX", nil)
	return &account{user: u, changed: make(chan struct{})}
}

// changes returns a channel closed at the next change. Take it before
// polling so a change racing with the poll is not missed.
func (a *account) changes() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.changed
}

// notify wakes every IDLE waiting on this account. Call it after the change
// has been queued in imapmemserver's tracker.
func (a *account) notify() {
	a.mu.Lock()
	close(a.changed)
	a.changed = make(chan struct{})
	a.mu.Unlock()
}

// deliver appends msg to INBOX through the shared User so every selected
// view's tracker queues the EXISTS. imapmemserver lets a client DELETE or
// RENAME its INBOX, so recreate it rather than lose mail.
func (a *account) deliver(msg []byte) error {
	defer a.notify()
	opts := &imap.AppendOptions{Time: time.Now()}
	if _, err := a.user.Append("INBOX", bytes.NewReader(msg), opts); err == nil {
		return nil
	}
	_ = a.user.Create("INBOX", nil) // fails harmlessly if a concurrent delivery won
	if _, err := a.user.Append("INBOX", bytes.NewReader(msg), opts); err != nil {
		return fmt.Errorf("append to INBOX: %w", err)
	}
	return nil
}
