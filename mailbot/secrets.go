package mailbot

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The names of the password credentials under systemd's
// $CREDENTIALS_DIRECTORY (LoadCredential=imap-password:/etc/mailbot/…):
// the unit in dist/ loads them, and the bot finds them with no further
// setting.
const (
	imapCredential = "imap-password"
	smtpCredential = "smtp-password"
)

// maxSecretBytes bounds what is read as a password: a path set to the
// wrong file (a log, a disk) must not be read whole into memory.
const maxSecretBytes = 64 << 10

// readPassword is a server's password from, in order: the environment
// variable (MAILBOT_IMAP_PASSWORD), a file it names (…_PASSWORD_FILE),
// or systemd's credential of that name. Setting both the variable and
// the file is refused, as a mistake is likely.
func readPassword(getenv func(string) string, server, credential string) (string, error) {
	key := "MAILBOT_" + server + "_PASSWORD"
	value, file := getenv(key), getenv(key+"_FILE")
	switch {
	case value != "" && file != "":
		return "", fmt.Errorf("%s and %s_FILE: set one or the other, not both", key, key)
	case value != "":
		return value, nil
	case file != "":
		pw, err := readSecretFile(file)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", key, err)
		}
		return pw, nil
	}
	if dir := getenv("CREDENTIALS_DIRECTORY"); dir != "" {
		path := filepath.Join(dir, credential)
		pw, err := readSecretFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return "", nil // this service has no such credential
		}
		if err != nil {
			return "", fmt.Errorf("systemd credential %s: %w", credential, err)
		}
		return pw, nil
	}
	return "", nil
}

// readSecretFile reads a password kept in a file, as written by hand or
// by `systemd-creds`: one line, its line ending not part of it. A file
// that other users may read is refused, since anyone on the machine
// could then log in as the bot; it names the fix.
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o007 != 0 {
		return "", fmt.Errorf("%s can be read or written by every user on this machine (mode %04o): run chmod o-rwx %s, or use systemd's LoadCredential=", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecretBytes+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxSecretBytes {
		return "", fmt.Errorf("%s is larger than a password can be (%d bytes at most)", path, maxSecretBytes)
	}
	b = bytes.TrimRight(b, "\r\n")
	if len(b) == 0 {
		return "", fmt.Errorf("%s is empty", path)
	}
	if bytes.ContainsAny(b, "\r\n") {
		return "", fmt.Errorf("%s holds more than one line: want the password alone", path)
	}
	return string(b), nil
}
