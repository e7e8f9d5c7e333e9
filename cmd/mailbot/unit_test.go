package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const unitFile = "../../dist/mailbot.service"

// TestServiceUnit: the systemd unit in dist/ has what a council's IT
// expects of a service (its own user, its own state folder, no way to
// gain privileges, a read-only system, restart on failure, passwords as
// credentials), and systemd itself accepts it. In CI systemd-analyze must
// be there (MAILBOT_REQUIRE_SYSTEMD=1); elsewhere its part is skipped.
func TestServiceUnit(t *testing.T) {
	t.Parallel()
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
	// for these tests, under the units' own names, all of dist/ at once
	// (the timer needs its service beside it).
	units, err := filepath.Glob("../../dist/mailbot*.[st][ei][rm]*")
	if err != nil || len(units) < 3 {
		t.Fatalf("units in dist/: %v, %v; want the service, the backup service and its timer", units, err)
	}
	dir := t.TempDir()
	var tests []string
	for _, u := range units {
		text, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.Base(u))
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(text), "/usr/local/bin/mailbot", binary)), 0o644); err != nil {
			t.Fatal(err)
		}
		tests = append(tests, p)
	}
	if out, err := exec.Command(analyze, append([]string{"verify"}, tests...)...).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// systemd's own judgement of the sandbox, 0 (locked down) to 10: "OK"
	// is below 4; ours must stay under 2.
	for _, name := range []string{"mailbot.service", "mailbot-backup.service"} {
		out, err := exec.Command(analyze, "security", "--offline=true", "--threshold=20", filepath.Join(dir, name)).CombinedOutput()
		if err != nil {
			t.Errorf("systemd-analyze security %s: %v\n%s", name, err, out)
		}
		if i := strings.Index(string(out), "Overall exposure level"); i >= 0 {
			t.Log(strings.TrimSpace(string(out[i:])))
		}
	}
}

// TestBackupUnitCommands runs the backup unit's own ExecStart and
// ExecStartPost lines, as systemd would (its %% is a %), against a real
// database in a folder of the test's: a dated copy is made, and one
// older than 30 days is deleted.
func TestBackupUnitCommands(t *testing.T) {
	t.Parallel()
	text, err := os.ReadFile("../../dist/mailbot-backup.service")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	state := filepath.Join(dir, "var-lib-mailbot")
	if err := os.MkdirAll(filepath.Join(state, "backups"), 0o700); err != nil {
		t.Fatal(err)
	}
	timetable := writeCSV(t, dir, "t.csv", "id,kind,title,starts,ends,capacity,location,description\n")
	if code, _, stderr := runCLIIn(t, dir, []string{"MAILBOT_DB=" + filepath.Join(state, "mailbot.db")}, "sessions", "import", timetable); code != 0 {
		t.Fatalf("making the database: exit %d\n%s", code, stderr)
	}
	old := filepath.Join(state, "backups", "mailbot-20200101T000000Z.db")
	if err := os.WriteFile(old, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	long := time.Now().AddDate(0, 0, -40)
	os.Chtimes(old, long, long)
	for _, line := range strings.Split(string(text), "\n") {
		k, cmdline, ok := strings.Cut(line, "=")
		if !ok || (k != "ExecStart" && k != "ExecStartPost") {
			continue
		}
		cmdline = strings.ReplaceAll(cmdline, "%%", "%")
		cmdline = strings.ReplaceAll(cmdline, "/usr/local/bin/mailbot", binary)
		cmdline = strings.ReplaceAll(cmdline, "/var/lib/mailbot", state)
		// systemd splits the line like a shell for these two forms.
		cmd := exec.Command("/bin/sh", "-c", cmdline)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "MAILBOT_DB=" + filepath.Join(state, "mailbot.db")}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s=%s: %v\n%s", k, cmdline, err, out)
		}
	}
	made, _ := filepath.Glob(filepath.Join(state, "backups", "mailbot-*.db"))
	if len(made) != 1 || made[0] == old {
		t.Errorf("backups after the unit ran: %q; want one new copy and the old one gone", made)
	}
}

func TestCredentialsAsSystemdGivesThem(t *testing.T) {
	t.Parallel()
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
