package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu {{dir}}/dovecot/users
}
userdb {
  driver = passwd-file
  args = username_format=%Lu {{dir}}/dovecot/users
}

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

// writeDovecotConf writes the configuration for s and returns its path.
func (s *servers) writeDovecotConf() (string, error) {
	for _, d := range []string{"dovecot/run", "dovecot/state"} {
		if err := os.MkdirAll(filepath.Join(s.dir, d), 0o755); err != nil {
			return "", err
		}
	}
	conf := strings.NewReplacer(
		"{{dir}}", s.dir,
		"{{pid}}", fmt.Sprint(os.Getpid()),
		"{{uid}}", fmt.Sprint(s.uid),
		"{{gid}}", fmt.Sprint(s.gid),
		"{{imapPort}}", port(s.imapAddr),
		"{{lmtpPort}}", port(s.lmtpAddr),
		"{{smtpPort}}", port(s.smtpAddr),
	).Replace(dovecotConf)
	path := filepath.Join(s.dir, "dovecot", "dovecot.conf")
	return path, os.WriteFile(path, []byte(conf), 0o644)
}

// writeUsers writes Dovecot's passwd-file: every address in s.users with
// the one test password. Dovecot notices the change on its next lookup.
func (s *servers) writeUsers() error {
	var b strings.Builder
	for _, u := range s.users {
		// user:password:uid:gid:gecos:home:shell:extra
		fmt.Fprintf(&b, "%s:{PLAIN}%s::::%s::\n", u, password, s.home(u))
	}
	path := filepath.Join(s.dir, "dovecot", "users")
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// home is addr's home directory: its Maildir and Sieve scripts.
func (s *servers) home(addr string) string {
	return filepath.Join(s.dir, "home", strings.ToLower(addr))
}
