package mailbot

import (
	"fmt"
	"os"
	"syscall"
)

// sendLock is an advisory lock beside the database, held by whichever
// process is sending the outbox: `mailbot run`, `run --once`, or
// `newsletter send`. Two senders would send the same row twice. The
// kernel releases it when the holder dies, however it dies.
type sendLock struct {
	path string
	f    *os.File
}

// try takes the lock if it is free, and reports whether this process holds
// it.
func (l *sendLock) try() (bool, error) {
	if l.f != nil || l.path == "" {
		return true, nil
	}
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return false, fmt.Errorf("send lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if err == syscall.EWOULDBLOCK {
			return false, nil
		}
		return false, fmt.Errorf("send lock %s: %w", l.path, err)
	}
	l.f = f
	return true, nil
}

// release lets another process send.
func (l *sendLock) release() {
	if l.f != nil {
		l.f.Close() // closing the descriptor drops the flock
		l.f = nil
	}
}
