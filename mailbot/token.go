package mailbot

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"
)

// secretBytes is the signing key's length: HMAC-SHA256's block-size key.
const secretBytes = 32

// loadSecret reads the signing key from path, making it on first run. It
// is refused if anyone but its owner can read it: whoever holds it can
// unsubscribe anyone and forge bounces.
func loadSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(b) == 0) {
		// An empty file is what a start that could not write the key
		// leaves (a full disk, a power cut before the write reached the
		// disk): nothing was ever signed with it, so make the key now.
		return makeSecret(path, err == nil)
	}
	if err != nil {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret %s: readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	if len(b) != secretBytes {
		return nil, fmt.Errorf("secret %s: want %d bytes, found %d", path, secretBytes, len(b))
	}
	return b, nil
}

// makeSecret writes a new key to a file of its own beside path, made
// durable, and only then links it in as path: path is never seen half
// written. If another process starting at the same moment linked its key
// first, that one is used. empty says path is an empty file to replace.
func makeSecret(path string, empty bool) ([]byte, error) {
	b := make([]byte, secretBytes)
	rand.Read(b)
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".mailbot-secret-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("create secret %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	_, werr := f.Write(b)
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return nil, fmt.Errorf("write secret %s: %w", path, err)
	}
	if empty {
		os.Remove(path)
	}
	if err := os.Link(f.Name(), path); errors.Is(err, fs.ErrExist) {
		return loadSecret(path)
	} else if err != nil {
		return nil, fmt.Errorf("create secret %s: %w", path, err)
	}
	// The new name must survive a power cut too.
	if d, err := os.Open(dir); err == nil {
		err = errors.Join(d.Sync(), d.Close())
		if err != nil {
			return nil, fmt.Errorf("create secret %s: %w", path, err)
		}
	}
	return b, nil
}

// signer makes and checks the short signed tokens the bot hands out in
// links and addresses, so that nobody can act for a person, or a message,
// whose token they were not sent.
type signer struct {
	key   []byte
	clock Clock
	base  string // our web pages' public address, for URL
	// macs keeps HMACs under key to be used again: making one hashes
	// the key's pads, and a newsletter makes two tokens a copy.
	macs *sync.Pool
}

func newSigner(key []byte, clock Clock, base string) signer {
	return signer{key: key, clock: clock, base: base, macs: &sync.Pool{
		New: func() any { return hmac.New(sha256.New, key) },
	}}
}

var _ desk.Links = signer{}

// URL is the public address of one of our web pages.
func (s signer) URL(page, token string) string {
	return strings.TrimSuffix(s.base, "/") + "/list/" + page + "/" + token
}

// tokenText is lower-case base32 without padding: safe in a URL path and
// in the local part of an address, and unharmed by servers that fold an
// address to lower case.
var tokenText = idEncoding

// Token signs id for purpose. A zero ttl never expires: an unsubscribe
// link in last year's newsletter must still work.
func (s signer) Token(purpose desk.Purpose, id int64, ttl time.Duration) string {
	var exp int64
	if ttl > 0 {
		exp = s.clock.Now().Add(ttl).Unix()
	}
	msg := binary.AppendUvarint(binary.AppendUvarint([]byte{byte(purpose)}, uint64(id)), uint64(exp))
	mac := s.mac(msg)
	return strings.ToLower(tokenText.EncodeToString(append(msg[1:], mac...)))
}

// macBytes is the truncated HMAC's length: 80 bits, beyond guessing by
// email or web request.
const macBytes = 10

func (s signer) mac(msg []byte) []byte {
	h := s.macs.Get().(hash.Hash)
	defer s.macs.Put(h)
	h.Reset()
	h.Write(msg)
	return h.Sum(nil)[:macBytes]
}

// errBadToken is a token we did not make, for the page or log that
// refuses it; an expired one is desk.ErrExpiredToken.
var errBadToken = errors.New("not a link or address we made")

// Check returns the id token was made for, if it was made by us for
// purpose and has not expired.
func (s signer) Check(purpose desk.Purpose, token string) (int64, error) {
	raw, err := tokenText.DecodeString(strings.ToUpper(token))
	if err != nil || len(raw) <= macBytes {
		return 0, errBadToken
	}
	body, mac := raw[:len(raw)-macBytes], raw[len(raw)-macBytes:]
	msg := append([]byte{byte(purpose)}, body...)
	if !hmac.Equal(mac, s.mac(msg)) {
		return 0, errBadToken
	}
	id, n := binary.Uvarint(body)
	if n <= 0 {
		return 0, errBadToken
	}
	exp, m := binary.Uvarint(body[n:])
	if m <= 0 || n+m != len(body) {
		return 0, errBadToken
	}
	if exp != 0 && s.clock.Now().Unix() > int64(exp) {
		return 0, desk.ErrExpiredToken
	}
	return int64(id), nil
}
