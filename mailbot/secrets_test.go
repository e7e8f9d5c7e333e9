package mailbot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPasswordFiles reads the passwords as the operator may give them: in
// the environment, in files named by _PASSWORD_FILE, or as systemd
// credentials, and refuses a file others can read.
func TestPasswordFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		return p
	}
	creds := filepath.Join(dir, "creds")
	if err := os.Mkdir(creds, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(creds, "imap-password"), []byte("from systemd\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		env      map[string]string
		imap     string
		smtp     string
		refusals []string // each in the error; none means no error
	}{
		{"environment", map[string]string{"MAILBOT_IMAP_PASSWORD": "a", "MAILBOT_SMTP_PASSWORD": "b"}, "a", "b", nil},
		{"files, line ends dropped", map[string]string{
			"MAILBOT_IMAP_PASSWORD_FILE": file("imap", "correct horse\n", 0o600),
			"MAILBOT_SMTP_PASSWORD_FILE": file("smtp", "battery staple\r\n", 0o640),
		}, "correct horse", "battery staple", nil},
		{"systemd credential", map[string]string{"CREDENTIALS_DIRECTORY": creds}, "from systemd", "", nil},
		{"the file wins over the credential", map[string]string{"CREDENTIALS_DIRECTORY": creds,
			"MAILBOT_IMAP_PASSWORD_FILE": file("imap2", "mine", 0o400)}, "mine", "", nil},
		{"readable by all", map[string]string{"MAILBOT_IMAP_PASSWORD_FILE": file("open", "x", 0o644)}, "", "",
			[]string{"MAILBOT_IMAP_PASSWORD_FILE", "every user", "chmod o-rwx"}},
		{"writable by all", map[string]string{"MAILBOT_SMTP_PASSWORD_FILE": file("w", "x", 0o602)}, "", "",
			[]string{"MAILBOT_SMTP_PASSWORD_FILE", "every user"}},
		{"both", map[string]string{"MAILBOT_IMAP_PASSWORD": "a", "MAILBOT_IMAP_PASSWORD_FILE": file("b", "b", 0o600)}, "", "",
			[]string{"MAILBOT_IMAP_PASSWORD and MAILBOT_IMAP_PASSWORD_FILE"}},
		{"missing", map[string]string{"MAILBOT_IMAP_PASSWORD_FILE": filepath.Join(dir, "nope")}, "", "",
			[]string{"MAILBOT_IMAP_PASSWORD_FILE", "no such file"}},
		{"empty", map[string]string{"MAILBOT_IMAP_PASSWORD_FILE": file("e", "\n", 0o600)}, "", "",
			[]string{"is empty"}},
		{"two lines", map[string]string{"MAILBOT_IMAP_PASSWORD_FILE": file("two", "a\nb\n", 0o600)}, "", "",
			[]string{"more than one line"}},
		{"a folder", map[string]string{"MAILBOT_IMAP_PASSWORD_FILE": creds}, "", "",
			[]string{"not a regular file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"MAILBOT_IMAP": "imaps://bot@mail.example.org", "MAILBOT_SMTP": "smtps://bot@mail.example.org"}
			for k, v := range tc.env {
				env[k] = v
			}
			c, err := FromEnv(ttEnv(env))
			if len(tc.refusals) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if c.IMAP.Password != tc.imap || c.SMTP.Password != tc.smtp {
					t.Errorf("passwords %q, %q; want %q, %q", c.IMAP.Password, c.SMTP.Password, tc.imap, tc.smtp)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; want one saying %q", tc.refusals)
			}
			for _, w := range tc.refusals {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
