package realmail

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dovecotConf is a complete, standalone Dovecot 2.3 configuration: nothing
// from /etc/dovecot is read. IMAP offers STARTTLS and refuses a password
// before it; LMTP delivers into Maildirs and runs each person's Sieve
// script, whose vacation replies go out through our Postfix.
const dovecotConf = `# Written by the mailbot integration tests; everything lives under {{dir}}.
instance_name = mailbot-integration-{{pid}}
base_dir = {{dir}}/dovecot/run
state_dir = {{dir}}/dovecot/state
protocols = imap lmtp
listen = 127.0.0.1
hostname = mail.example.test
postmaster_address = postmaster@example.test
log_path = {{dir}}/dovecot.log
log_timestamp = "%Y-%m-%d %H:%M:%S "

ssl = yes
ssl_cert = <{{dir}}/cert.pem
ssl_key = <{{dir}}/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_username_format = %Lu

default_login_user = dovenull
default_internal_user = dovecot
# Every mailbox belongs to one unprivileged system user.
mail_uid = {{uid}}
mail_gid = {{gid}}
first_valid_uid = {{uid}}
last_valid_uid = {{uid}}
first_valid_gid = {{gid}}
last_valid_gid = {{gid}}
mail_location = maildir:~/Maildir

{{users}}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = {{imapPort}}
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = {{lmtpPort}}
  }
}
# Postfix's submission port checks logins here (smtpd_sasl_type = dovecot).
service auth {
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}

protocol lmtp {
  mail_plugins = $mail_plugins sieve
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
}
# Sieve's vacation and redirect send through the Postfix under test, never
# through /usr/sbin/sendmail and the system's own configuration.
submission_host = 127.0.0.1:{{smtpPort}}
`

// passwdUsers are the people in a passwd-file (writeUsers), each with a
// home of their own; LMTP refuses anyone else.
const passwdUsers = `passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu {{dir}}/dovecot/users
}
userdb {
  driver = passwd-file
  args = username_format=%Lu {{dir}}/dovecot/users
}
`

// anyUsers is everyone, with the one password and a home named for their
// address, which Dovecot makes when the address is first used: as the
// embedded server has a mailbox for every address.
const anyUsers = `passdb {
  driver = static
  args = password={{password}}
}
userdb {
  driver = static
  args = uid={{uid}} gid={{gid}} home={{dir}}/home/%Lu allow_all_users=yes
}
`

// writeDovecotConf writes the configuration for s and returns its path.
func (s *Servers) writeDovecotConf() (string, error) {
	for _, d := range []string{"dovecot/run", "dovecot/state"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o755); err != nil {
			return "", err
		}
	}
	users := passwdUsers
	if s.opt.AnyAddress {
		users = anyUsers
	}
	conf := strings.NewReplacer(
		"{{password}}", Password,
		"{{dir}}", s.Dir,
		"{{pid}}", fmt.Sprint(os.Getpid()),
		"{{uid}}", fmt.Sprint(s.uid),
		"{{gid}}", fmt.Sprint(s.gid),
		"{{imapPort}}", port(s.IMAPAddr),
		"{{lmtpPort}}", port(s.LMTPAddr),
		"{{smtpPort}}", port(s.SMTPAddr),
	).Replace(strings.Replace(dovecotConf, "{{users}}", users, 1))
	path := filepath.Join(s.Dir, "dovecot", "dovecot.conf")
	return path, os.WriteFile(path, []byte(conf), 0o644)
}

// writeUsers writes Dovecot's passwd-file: every address in s.users with
// the one test password. Dovecot notices the change on its next lookup.
func (s *Servers) writeUsers() error {
	if s.opt.AnyAddress {
		return nil
	}
	var b strings.Builder
	for _, u := range s.users {
		// user:password:uid:gid:gecos:home:shell:extra
		fmt.Fprintf(&b, "%s:{PLAIN}%s::::%s::\n", u, Password, s.Home(u))
	}
	path := filepath.Join(s.Dir, "dovecot", "users")
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Home is addr's home directory: its Maildir and Sieve scripts.
func (s *Servers) Home(addr string) string {
	return filepath.Join(s.Dir, "home", strings.ToLower(addr))
}

// SetSieve makes script addr's active Sieve script, run by Dovecot's LMTP
// on every message delivered to addr. Vacation's memory of whom it already
// answered is cleared with it.
func (s *Servers) SetSieve(t testing.TB, addr, script string) {
	t.Helper()
	dir := filepath.Join(s.Home(addr), "sieve")
	file := filepath.Join(dir, "active.sieve")
	link := filepath.Join(s.Home(addr), ".dovecot.sieve")
	os.Remove(link)
	os.Remove(filepath.Join(s.Home(addr), ".dovecot.lda-dupes"))
	for _, err := range []error{
		os.MkdirAll(dir, 0o700),
		os.WriteFile(file, []byte(script), 0o600),
		os.Symlink("sieve/active.sieve", link),
		os.Chown(dir, s.uid, s.gid),
		os.Chown(file, s.uid, s.gid),
		os.Lchown(link, s.uid, s.gid),
	} {
		if err != nil {
			t.Fatalf("Sieve script for %s: %v", addr, err)
		}
	}
}
