package mailbot

import "sync"

// copyBuffers keeps the bytes of newsletter copies the outbox is done
// with, for the next copies to be made in: at thousands of copies a
// second, a fresh 12 KB for each was most of what the sender allocated,
// and so most of what its garbage collector had to do.
type copyBuffers struct {
	mu   sync.Mutex
	free [][]byte
}

// Enough for every connection's copy in hand and the next, and no more
// than a few hundred KB held between newsletters.
const (
	maxCopyBuffers = 16
	maxCopyBuffer  = 1 << 20
)

// get returns an empty buffer, one used before where there is one.
func (c *copyBuffers) get() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.free); n > 0 {
		b := c.free[n-1]
		c.free = c.free[:n-1]
		return b
	}
	return nil
}

// put keeps b to be used again; nothing else may hold it.
func (c *copyBuffers) put(b []byte) {
	if cap(b) == 0 || cap(b) > maxCopyBuffer {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.free) < maxCopyBuffers {
		c.free = append(c.free, b[:0])
	}
}
