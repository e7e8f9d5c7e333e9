package mailbot

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestLoadSecret: the signing key is made once, whole and private, and an
// unusable one is refused with the reason, except an empty file, which only
// a start that failed to write the key leaves behind.
func TestLoadSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content []byte // nil: no file
		mode    os.FileMode
		wantErr string // "": a key is loaded or made
	}{
		{name: "first run"},
		{name: "left empty by a failed start", content: []byte{}, mode: 0o600},
		{name: "good", content: bytes.Repeat([]byte{7}, secretBytes), mode: 0o600},
		{name: "short", content: []byte("short"), mode: 0o600, wantErr: "want 32 bytes, found 5"},
		{name: "readable by others", content: bytes.Repeat([]byte{7}, secretBytes), mode: 0o644, wantErr: "readable by others"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "mailbot.db.secret")
			if tc.content != nil {
				if err := os.WriteFile(path, tc.content, tc.mode); err != nil {
					t.Fatal(err)
				}
				os.Chmod(path, tc.mode)
			}
			key, err := loadSecret(path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("loadSecret = %v, want an error saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("loadSecret: %v", err)
			}
			if len(tc.content) == secretBytes && !bytes.Equal(key, tc.content) {
				t.Errorf("loadSecret made a new key over a good one")
			}
			again, err := loadSecret(path)
			if err != nil || !bytes.Equal(again, key) {
				t.Errorf("loading again: %x, %v; want the same key %x", again, err, key)
			}
			fi, err := os.Stat(path)
			if err != nil || fi.Size() != secretBytes || fi.Mode().Perm() != 0o600 {
				t.Errorf("key file: %v, %v; want %d bytes, mode 0600", fi, err, secretBytes)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".mailbot-secret-*")); len(left) != 0 {
				t.Errorf("temporary files left beside the key: %v", left)
			}
		})
	}
}

// TestLoadSecretConcurrent: processes starting at once (`mailbot run` and
// `mailbot sessions import`, say) end up with one key between them.
func TestLoadSecretConcurrent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mailbot.db.secret")
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if keys[i], err = loadSecret(path); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i, k := range keys {
		if !bytes.Equal(k, keys[0]) {
			t.Errorf("caller %d got key %x, caller 0 %x", i, k, keys[0])
		}
	}
}
