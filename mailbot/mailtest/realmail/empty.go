package realmail

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// queues are Postfix's queue directories that hold a message until it is
// delivered (or, in hold and corrupt, for good).
var queues = []string{"maildrop", "incoming", "active", "deferred", "hold", "corrupt"}

// Empty waits until Postfix has delivered every message it took, then
// removes every mailbox, so that what comes next starts with nothing, as on
// a new embedded server. Only with AnyAddress, where Dovecot makes a
// mailbox again when it is next used; nobody may be logged in meanwhile.
func (s *Servers) Empty() error {
	if !s.opt.AnyAddress {
		return errors.New("realmail: Empty needs AnyAddress, which remakes the mailboxes")
	}
	if err := s.Drain(); err != nil {
		return err
	}
	homes := filepath.Join(s.Dir, "home")
	entries, err := os.ReadDir(homes)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(homes, e.Name())); err != nil {
			return fmt.Errorf("realmail: empty %s's mailbox: %w", e.Name(), err)
		}
	}
	return nil
}

// Drain waits until Postfix has delivered every message it took: a
// message it answered 250 for is then in its mailbox.
func (s *Servers) Drain() error {
	deadline := time.Now().Add(waitTimeout)
	for {
		n, err := s.queued()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("realmail: %d message(s) still in Postfix's queue after %v\n%s", n, waitTimeout, s.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// queued counts the messages in Postfix's queues.
func (s *Servers) queued() (int, error) {
	n := 0
	for _, q := range queues {
		err := filepath.WalkDir(filepath.Join(s.Dir, "postfix", "spool", q), func(_ string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // delivered while we looked
			}
			if err == nil && d.Type().IsRegular() {
				n++
			}
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("realmail: Postfix's queue: %w", err)
		}
	}
	return n, nil
}
