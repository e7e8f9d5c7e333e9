package realmail

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// postfixMain is a Postfix instance that accepts mail on one loopback port
// from loopback clients, delivers example.test to Dovecot over LMTP, and
// sends nothing anywhere else.
const postfixMain = `# Written by the mailbot integration tests; everything lives under {{dir}}.
compatibility_level = 3.6
queue_directory = {{dir}}/postfix/spool
data_directory = {{dir}}/postfix/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = {{dir}}/postfix.log
maillog_file_prefixes = {{dir}}

myhostname = mail.example.test
mydomain = example.test
myorigin = $mydomain
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8 [::1]/128
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
biff = no
alias_maps =
alias_database =

# Only {{domains}} exists, and it is Dovecot's. Nothing ever leaves.
mydestination =
virtual_mailbox_domains = {{domains}}
virtual_transport = lmtp:inet:{{lmtpAddr}}
relayhost =
default_transport = error:5.7.1 the integration-test mail server delivers only to example.test
relay_transport = $default_transport
local_transport = $default_transport
# Accept any example.test recipient and let Dovecot refuse the unknown
# ones, so mail to them comes back as a real delivery status notification
# (RFC 3464) rather than an SMTP 550 the sender sees at once.
smtpd_reject_unlisted_recipient = no

smtpd_tls_security_level = may
smtpd_tls_cert_file = {{dir}}/cert.pem
smtpd_tls_key_file = {{dir}}/key.pem
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtp_tls_security_level = none
lmtp_tls_security_level = none

# Authentication-Results, which Postfix cannot write itself: a milter in
# the test process strips forged ones naming us and adds ours (milter.go).
# Only smtpd's mail passes it; Postfix's own bounces do not. A message that
# comes while the filter is unreachable waits rather than pass unstamped.
smtpd_milters = inet:{{stampMilter}}
non_smtpd_milters =
milter_protocol = 6
milter_default_action = tempfail
milter_mail_macros = i {auth_type} {auth_authen} {mail_addr}

{{headers}}
# A deferred message is retried within seconds, not minutes.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
`

// postfixMaster runs every daemon outside a chroot (its state is in the
// temporary directory) and listens for SMTP on three loopback addresses:
// the public port, a second public port whose filter stamps only what it
// proved, and submission. Submission is as port 587 is at most
// organisations: TLS first, then a login through Dovecot's auth, then
// mail to anywhere; deliberately without smtpd_sender_login_maps, so a
// logged-in user may write any From, as many organisations' servers allow.
const postfixMaster = `# service type  private unpriv  chroot  wakeup  maxproc command
{{smtpAddr}} inet n     -       n       -       -       smtpd
{{quietAddr}} inet n    -       n       -       -       smtpd
  -o syslog_name=postfix/quiet
  -o smtpd_milters=inet:{{quietMilter}}
{{submitAddr}} inet n   -       n       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_sasl_type=dovecot
  -o smtpd_sasl_path={{dir}}/dovecot/run/auth-postfix
  -o smtpd_sasl_security_options=noanonymous
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`

// asWritten leaves headers as the sender wrote them: without it Postfix
// adds a Message-ID, a Date and a From to mail from loopback that lacks
// them and qualifies bare names in address fields, and the bot would not
// see the malformed mail the embedded server passes on unchanged.
const asWritten = `# Headers as the sender wrote them, as the embedded server keeps them.
local_header_rewrite_clients =
`

// writePostfixConf writes main.cf and master.cf and returns the
// configuration directory, for postfix -c.
func (s *Servers) writePostfixConf() (string, error) {
	conf := filepath.Join(s.Dir, "postfix", "conf")
	// postfix check fills in the queue directory's inside, with the owners
	// and modes Postfix insists on; the directory itself is root's.
	for _, d := range []string{conf, filepath.Join(s.Dir, "postfix", "spool"), filepath.Join(s.Dir, "postfix", "data")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
	}
	pf, err := user.Lookup("postfix")
	if err != nil {
		return "", err
	}
	uid, _ := strconv.Atoi(pf.Uid)
	gid, _ := strconv.Atoi(pf.Gid)
	if err := os.Chown(filepath.Join(s.Dir, "postfix", "data"), uid, gid); err != nil {
		return "", err
	}
	domains, headers := "example.test", ""
	if s.opt.AnyAddress {
		// A table that answers every lookup: every domain is Dovecot's.
		domains, headers = "static:all", asWritten
	}
	r := strings.NewReplacer("{{dir}}", s.Dir, "{{lmtpAddr}}", s.LMTPAddr, "{{smtpAddr}}", s.SMTPAddr,
		"{{quietAddr}}", s.QuietAddr, "{{submitAddr}}", s.SubmitAddr, "{{domains}}", domains, "{{headers}}", headers,
		"{{stampMilter}}", s.stamp.addr, "{{quietMilter}}", s.quiet.addr)
	for name, text := range map[string]string{"main.cf": postfixMain, "master.cf": postfixMaster} {
		file := filepath.Join(conf, name)
		if err := os.WriteFile(file, []byte(r.Replace(text)), 0o644); err != nil {
			return "", err
		}
		// Postfix waits, re-reading, until a file's modification time is
		// in the past, lest it read one being written: seconds at startup.
		old := time.Now().Add(-time.Minute)
		if err := os.Chtimes(file, old, old); err != nil {
			return "", err
		}
	}
	return conf, nil
}
