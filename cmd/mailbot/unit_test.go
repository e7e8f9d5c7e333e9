package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const unitFile = "../../dist/mailbot.service"

// TestServiceUnit: the systemd unit in dist/ has what a council's IT
// expects of a service (its own user, its own state folder, no way to
// gain privileges, a read-only system, restart on failure, passwords as
// credentials), and systemd itself accepts it. In CI systemd-analyze must
// be there (MAILBOT_REQUIRE_SYSTEMD=1); elsewhere its part is skipped.
func TestServiceUnit(t *testing.T) {
	f, err := os.Open(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	set := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			set[k] = append(set[k], v)
		}
	}
	for _, want := range []string{
		"User=mailbot", "Group=mailbot", "StateDirectory=mailbot", "NoNewPrivileges=yes", "ProtectSystem=strict",
		"Restart=on-failure", "LoadCredential=imap-password:/etc/mailbot/imap-password",
		"LoadCredential=smtp-password:/etc/mailbot/smtp-password", "ExecStart=/usr/local/bin/mailbot run",
		"Environment=MAILBOT_DB=/var/lib/mailbot/mailbot.db", "EnvironmentFile=/etc/mailbot/mailbot.env",
	} {
		k, v, _ := strings.Cut(want, "=")
		if !slices.Contains(set[k], v) {
			t.Errorf("the unit lacks %s (has %s=%q)", want, k, set[k])
		}
	}
	for k, vs := range set {
		if strings.Contains(k, "PASSWORD") || strings.Contains(strings.Join(vs, " "), "PASSWORD=") {
			t.Errorf("the unit puts a password in the environment: %s=%s", k, vs)
		}
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("MAILBOT_REQUIRE_SYSTEMD") != "" {
			t.Fatal("systemd-analyze is not installed (apt-get install systemd)")
		}
		t.Skip("systemd-analyze not installed: the unit was not verified by systemd")
	}
	// verify checks that ExecStart exists: point it at the binary built
	// for these tests, under the unit's own name.
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	test := filepath.Join(t.TempDir(), "mailbot.service")
	if err := os.WriteFile(test, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/mailbot", binary)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", test).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// systemd's own judgement of the sandbox, 0 (locked down) to 10: "OK"
	// is below 4; ours must stay under 2.
	out, err := exec.Command(analyze, "security", "--offline=true", "--threshold=20", test).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security: %v\n%s", err, out)
	}
	if i := strings.Index(string(out), "Overall exposure level"); i >= 0 {
		t.Log(strings.TrimSpace(string(out[i:])))
	}
}

// TestCredentialsAsSystemdGivesThem runs the binary as the unit does,
// with the passwords only as files in $CREDENTIALS_DIRECTORY (mode 0400,
// as systemd makes them), against servers that check them: it logs in.
// A password file anyone can read stops it at start, naming the fix.
func TestCredentialsAsSystemdGivesThem(t *testing.T) {
	imapAddr, smtpAddr := startPasswordIMAP(t), startPasswordSMTP(t)
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	if err := os.Mkdir(creds, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"imap-password", "smtp-password"} {
		if err := os.WriteFile(filepath.Join(creds, name), []byte(goodPassword+"\n"), 0o400); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{
		"MAILBOT_DB=" + filepath.Join(dir, "mailbot.db"),
		"MAILBOT_IMAP=imap://" + botUser + "@" + imapAddr,
		"MAILBOT_SMTP=smtp://" + botUser + "@" + smtpAddr,
		"CREDENTIALS_DIRECTORY=" + creds,
	}
	if code, _, stderr := runCLIIn(t, dir, env, "run", "--once"); code != 0 {
		t.Fatalf("run --once with systemd credentials: exit %d\n%s", code, stderr)
	}

	open := filepath.Join(dir, "smtp-password")
	if err := os.WriteFile(open, []byte(goodPassword), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(open, 0o644)
	code, _, stderr := runCLIIn(t, dir, append(env, "MAILBOT_SMTP_PASSWORD_FILE="+open), "run", "--once")
	if code != 1 || !strings.Contains(stderr, "MAILBOT_SMTP_PASSWORD_FILE") || !strings.Contains(stderr, "chmod o-rwx") {
		t.Errorf("a password file all can read: exit %d, stderr %q; want 1 naming the setting and the fix", code, stderr)
	}
	if strings.Contains(stderr, goodPassword) {
		t.Errorf("the password is in the error: %q", stderr)
	}
}
