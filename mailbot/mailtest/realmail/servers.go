// Package realmail starts a real Dovecot (IMAP, LMTP, Sieve) and a real
// Postfix on loopback for tests, with all their state in a temporary
// directory, so the bot can be tested against the servers organisations
// run. It is for tests only: ./integration and, with MAILBOT_TEST_DOVECOT=1,
// package mailbot's end-to-end tests use it.
//
// The servers need root (Postfix's master runs as root and drops
// privileges) and the Debian packages dovecot-imapd, dovecot-lmtpd,
// dovecot-sieve and postfix; Requirements says what is missing.
//
// Postfix plays an organisation's receiving server as the bot's README
// asks for one: a filter (milter.go, a milter in the test process) removes
// every incoming Authentication-Results whose authserv-id is AuthservID in
// any ASCII case, as real strip rules do, and adds its own on top. The
// public port stamps "auth=none" for everyone; a second public port (quiet)
// stamps nothing for a stranger, as OpenDKIM does by default, so a forged
// look-alike surviving the strip is the topmost; the submission port (TLS,
// then SASL AUTH through Dovecot, then any From) stamps "auth=pass
// smtp.auth=LOGIN", with SPF and DMARC passes for an envelope sender and a
// From in example.test, which is what a domain's own server concludes.
package realmail

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/betterdays/mailbot/mailbot/mailtest"
)

const (
	// Password is every mailbox's password.
	Password = "Better-Days-2027"
	// mailUser owns every mailbox on disk.
	mailUser = "mail"
)

// Options say which world the servers play.
type Options struct {
	// Users have mailboxes in example.test from the start, and AddUser
	// adds more; mail to anyone else there comes back as a delivery status
	// notification (RFC 3464), and mail to any other domain is refused.
	Users []string
	// AnyAddress plays the bot's embedded server instead: every address at
	// any domain has a mailbox, made when first used, each its own, and
	// headers reach it as the sender wrote them (Postfix adds no missing
	// Message-ID or From, and rewrites no address). Users is then unused.
	AnyAddress bool
	// Keep leaves the directory (configurations, logs, mailboxes) behind
	// at Close, for a look afterwards.
	Keep bool
}

// Servers is one Dovecot and one Postfix on loopback, with their
// configuration, state, mailboxes and logs in Dir.
type Servers struct {
	Dir      string
	IMAPAddr string // Dovecot IMAP, STARTTLS, passwords only after it
	LMTPAddr string // Dovecot LMTP, where Postfix delivers
	SMTPAddr string // Postfix SMTP, the public port: open to loopback, STARTTLS offered
	// QuietAddr is a second public port whose filter strips forged
	// Authentication-Results but adds none for a stranger (stampProven).
	QuietAddr string
	// SubmitAddr is Postfix's submission port, as 587: STARTTLS, then
	// SASL AUTH through Dovecot, then any From at all (no
	// smtpd_sender_login_maps).
	SubmitAddr string
	CAFile     string // the self-signed certificate both servers present

	opt      Options
	roots    *x509.CertPool
	uid, gid int // owner of the mailboxes

	// stamp filters the public and submission ports, quiet the quiet port
	// (see authFilter).
	stamp, quiet *authFilter

	mu      sync.Mutex // guards users and the passwd-file
	users   []string
	daemons []*daemon
}

// Requirements lists what the servers need that this machine lacks, or
// returns "".
func Requirements() string {
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root (Postfix's master starts as root)")
	}
	for _, f := range []string{"/usr/sbin/dovecot", "/usr/lib/dovecot/imap", "/usr/lib/dovecot/lmtp",
		"/usr/lib/dovecot/modules/lib90_sieve_plugin.so", "/usr/sbin/postfix", "/usr/lib/postfix/sbin/master"} {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f)
		}
	}
	for _, u := range []string{mailUser, "dovecot", "dovenull", "postfix"} {
		if _, err := user.Lookup(u); err != nil {
			missing = append(missing, "user "+u)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return "needs " + strings.Join(missing, ", ") +
		" (apt-get install dovecot-imapd dovecot-lmtpd dovecot-sieve postfix, or run .ci/integration as root)"
}

// Start starts Dovecot and Postfix in a new temporary directory, and
// points SSL_CERT_FILE at their certificate: the bot verifies servers
// against the system roots and has no setting for a CA of its own, and Go
// reads SSL_CERT_FILE when it first loads those roots, so call Start
// before anything in the process has. The ports are chosen free but bound
// by the servers a moment later, so another process may take one
// meanwhile: it tries three times, with new ones.
func Start(opt Options) (*Servers, error) {
	var errs []error
	for range 3 {
		dir, err := os.MkdirTemp("", "mailbot-it-")
		if err != nil {
			return nil, err
		}
		s, err := start(dir, opt)
		if err == nil {
			os.Setenv("SSL_CERT_FILE", s.CAFile)
			return s, nil
		}
		errs = append(errs, err)
		if !opt.Keep {
			os.RemoveAll(dir)
		}
	}
	return nil, fmt.Errorf("starting Dovecot and Postfix, three times: %w", errors.Join(errs...))
}

// start starts the servers with everything under dir, which must be
// empty. On error whatever was started has been stopped.
func start(dir string, opt Options) (s *Servers, err error) {
	s = &Servers{Dir: dir, opt: opt, users: slices.Clone(opt.Users)}
	defer func() {
		if err != nil {
			s.stop()
			err = fmt.Errorf("%w\n%s", err, s.Logs())
		}
	}()
	u, err := user.Lookup(mailUser)
	if err != nil {
		return s, err
	}
	s.uid, _ = strconv.Atoi(u.Uid)
	s.gid, _ = strconv.Atoi(u.Gid)
	// Postfix's and Dovecot's unprivileged processes must reach their
	// files; MkdirTemp made dir for root alone.
	if err := os.Chmod(dir, 0o755); err != nil {
		return s, err
	}
	ports, err := freePorts(5)
	if err != nil {
		return s, err
	}
	s.IMAPAddr, s.LMTPAddr, s.SMTPAddr, s.QuietAddr, s.SubmitAddr = ports[0], ports[1], ports[2], ports[3], ports[4]
	// The filters listen before Postfix starts; a message that comes while
	// one is unreachable waits (milter_default_action = tempfail), it is
	// never let through unstamped.
	if s.stamp, err = startAuthFilter(stampAlways); err != nil {
		return s, err
	}
	if s.quiet, err = startAuthFilter(stampProven); err != nil {
		return s, err
	}

	s.CAFile = filepath.Join(dir, "cert.pem")
	cert, err := writeCert(s.CAFile, filepath.Join(dir, "key.pem"))
	if err != nil {
		return s, err
	}
	s.roots = x509.NewCertPool()
	s.roots.AddCert(cert)

	if err := s.makeHomes(); err != nil {
		return s, err
	}
	dovecotConf, err := s.writeDovecotConf()
	if err != nil {
		return s, err
	}
	if err := s.writeUsers(); err != nil {
		return s, err
	}
	postfixConf, err := s.writePostfixConf()
	if err != nil {
		return s, err
	}

	// The two start side by side; each is ready when its ports accept.
	// postfix check creates the queue directories with the owners and
	// modes Postfix insists on (postfix:postdrop, setgid maildrop).
	if out, err := exec.Command("/usr/sbin/postfix", "-c", postfixConf, "check").CombinedOutput(); err != nil {
		return s, fmt.Errorf("postfix check: %v\n%s", err, out)
	}
	dovecot, err := s.startDaemon("dovecot", dovecotArgv(dovecotConf)...)
	if err != nil {
		return s, err
	}
	postfix, err := s.startDaemon("postfix", postfixArgv(postfixConf)...)
	if err != nil {
		return s, err
	}
	if err := dovecot.waitListening(s.IMAPAddr, s.LMTPAddr); err != nil {
		return s, err
	}
	if err := postfix.waitListening(s.SMTPAddr, s.QuietAddr, s.SubmitAddr); err != nil {
		return s, err
	}
	return s, nil
}

// Close stops both servers and removes their directory, unless Keep.
func (s *Servers) Close() error {
	err := s.stop()
	if s.opt.Keep {
		fmt.Fprintln(os.Stderr, "realmail: kept", s.Dir)
	} else if rmErr := os.RemoveAll(s.Dir); rmErr != nil {
		err = errors.Join(err, rmErr)
	}
	return err
}

// stop stops every daemon and filter that was started.
func (s *Servers) stop() error {
	var errs []error
	for _, d := range slices.Backward(s.daemons) {
		errs = append(errs, d.stop())
	}
	s.daemons = nil
	for _, f := range []*authFilter{s.stamp, s.quiet} {
		if f != nil {
			errs = append(errs, f.close())
		}
	}
	s.stamp, s.quiet = nil, nil
	return errors.Join(errs...)
}

// freePorts returns n distinct loopback addresses free at the moment.
func freePorts(n int) ([]string, error) {
	var addrs []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs, nil
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// makeHomes creates the directory of homes and one for each user. With
// AnyAddress Dovecot makes a home when an address is first used, so the
// directory is the mail user's.
func (s *Servers) makeHomes() error {
	homes := filepath.Join(s.Dir, "home")
	if err := os.MkdirAll(homes, 0o755); err != nil {
		return err
	}
	if s.opt.AnyAddress {
		return os.Chown(homes, s.uid, s.gid)
	}
	for _, addr := range s.users {
		if err := s.makeHome(addr); err != nil {
			return err
		}
	}
	return nil
}

// makeHome creates addr's home directory, owned by the mail user.
func (s *Servers) makeHome(addr string) error {
	h := s.Home(addr)
	if err := os.MkdirAll(h, 0o700); err != nil {
		return err
	}
	return os.Chown(h, s.uid, s.gid)
}

// AddUser gives addr a mailbox (password: Password), for tests that need
// people beyond the usual ones. With AnyAddress everyone has one already.
func (s *Servers) AddUser(addr string) error {
	if s.opt.AnyAddress {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	addr = strings.ToLower(addr)
	if slices.Contains(s.users, addr) {
		return nil
	}
	s.users = append(s.users, addr)
	if err := s.makeHome(addr); err != nil {
		return fmt.Errorf("mailbox for %s: %w", addr, err)
	}
	if err := s.writeUsers(); err != nil {
		return fmt.Errorf("mailbox for %s: %w", addr, err)
	}
	return nil
}

// TLSConfig trusts the servers' certificate and nothing else.
func (s *Servers) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// Client is a person's mail program against these servers: STARTTLS
// trusting their certificate, then the one password.
func (s *Servers) Client() mailtest.Client {
	return mailtest.Client{TLS: s.TLSConfig(), Password: Password}
}
