package integration

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	netmail "net/mail"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

const (
	// password is every test mailbox's password.
	password = "Better-Days-2027"
	// botAddress is the project mailbox the bot reads.
	botAddress = "betterdays@example.test"
	// mailUser owns every mailbox on disk.
	mailUser = "mail"
	// waitTimeout bounds every wait for mail or a log line.
	waitTimeout = 20 * time.Second
)

// people have mailboxes from the start; addUser adds more.
var people = []string{botAddress, "ann@example.test", "mary@example.test", "nora@example.test",
	"olive@example.test", "staff@example.test", "zed@example.test"}

// servers is one Dovecot and one Postfix on loopback, with their
// configuration, state, mailboxes and logs in dir.
type servers struct {
	dir      string
	imapAddr string // Dovecot IMAP, STARTTLS, passwords only after it
	lmtpAddr string // Dovecot LMTP, where Postfix delivers
	smtpAddr string // Postfix SMTP, the public port: open to loopback, STARTTLS offered
	// quietAddr is a second public port whose filter strips forged
	// Authentication-Results but adds none for a stranger (stampProven).
	quietAddr string
	// submitAddr is Postfix's submission port, as 587: STARTTLS, then
	// SASL AUTH through Dovecot, then any From at all (no
	// smtpd_sender_login_maps).
	submitAddr string
	caFile     string // the self-signed certificate both servers present
	roots      *x509.CertPool
	uid, gid   int // owner of the mailboxes

	// stamp filters the public and submission ports, quiet the quiet port
	// (see authFilter).
	stamp, quiet *authFilter

	mu      sync.Mutex // guards users and the passwd-file
	users   []string
	daemons []*daemon
}

// Requirements lists what the servers need that this machine lacks, or
// returns "".
func requirements() string {
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

// startServers starts Dovecot and Postfix with everything under dir, which
// must be empty. On error whatever was started has been stopped.
func startServers(dir string) (s *servers, err error) {
	s = &servers{dir: dir, users: slices.Clone(people)}
	defer func() {
		if err != nil {
			s.close()
			err = fmt.Errorf("%w\n%s", err, s.logs())
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
	s.imapAddr, s.lmtpAddr, s.smtpAddr, s.quietAddr, s.submitAddr = ports[0], ports[1], ports[2], ports[3], ports[4]
	// The filters listen before Postfix starts; a message that comes while
	// one is unreachable waits (milter_default_action = tempfail), it is
	// never let through unstamped.
	if s.stamp, err = startAuthFilter(stampAlways); err != nil {
		return s, err
	}
	if s.quiet, err = startAuthFilter(stampProven); err != nil {
		return s, err
	}

	s.caFile = filepath.Join(dir, "cert.pem")
	cert, err := writeCert(s.caFile, filepath.Join(dir, "key.pem"))
	if err != nil {
		return s, err
	}
	s.roots = x509.NewCertPool()
	s.roots.AddCert(cert)

	if err := os.MkdirAll(filepath.Join(dir, "home"), 0o755); err != nil {
		return s, err
	}
	for _, addr := range s.users {
		if err := s.makeHome(addr); err != nil {
			return s, err
		}
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
	dovecot, err := s.startDaemon("dovecot", "/usr/sbin/dovecot", "-F", "-c", dovecotConf)
	if err != nil {
		return s, err
	}
	// postfix check creates the queue directories with the owners and
	// modes Postfix insists on (postfix:postdrop, setgid maildrop).
	if out, err := exec.Command("/usr/sbin/postfix", "-c", postfixConf, "check").CombinedOutput(); err != nil {
		return s, fmt.Errorf("postfix check: %v\n%s", err, out)
	}
	postfix, err := s.startDaemon("postfix", "/usr/lib/postfix/sbin/master", "-c", postfixConf, "-d")
	if err != nil {
		return s, err
	}
	if err := dovecot.waitListening(s.imapAddr, s.lmtpAddr); err != nil {
		return s, err
	}
	if err := postfix.waitListening(s.smtpAddr, s.quietAddr, s.submitAddr); err != nil {
		return s, err
	}
	return s, nil
}

// close stops both servers.
func (s *servers) close() error {
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

// daemon is a server's master process, run in the foreground so it is ours
// to stop, and sent SIGTERM by the kernel if the test binary dies first.
type daemon struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error

	watch    *exec.Cmd      // stops the server if this process dies
	watchdog io.WriteCloser // its stdin
}

func (s *servers) startDaemon(name string, argv ...string) (*daemon, error) {
	out, err := os.Create(filepath.Join(s.dir, name+".out"))
	if err != nil {
		return nil, err
	}
	defer out.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so a stuck server is killed with its children;
	// Pdeathsig, so a panicking or killed test run leaves nothing behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	d := &daemon{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { d.err = cmd.Wait(); close(d.done) }()
	s.daemons = append(s.daemons, d)
	// Pdeathsig alone is not enough: the kernel forgets it when a process
	// changes its credentials, which Postfix's master does. A watchdog
	// reads a pipe only this process holds: at EOF without "ok" (this
	// process died) it stops the server's whole process group. It has a
	// group of its own, so a Ctrl-C meant for go test does not stop it first.
	pgid := strconv.Itoa(cmd.Process.Pid)
	watch := exec.Command("/bin/sh", "-c", `trap '' INT HUP QUIT; read x; [ "$x" = ok ] && exit 0
kill -TERM -$0 2>/dev/null || exit 0
i=0; while kill -0 -$0 2>/dev/null && [ $i -lt 10 ]; do sleep 1; i=$((i+1)); done
kill -KILL -$0 2>/dev/null; exit 0`, pgid)
	watch.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if d.watchdog, err = watch.StdinPipe(); err != nil {
		return d, err
	}
	if err := watch.Start(); err != nil {
		return d, fmt.Errorf("start %s's watchdog: %w", name, err)
	}
	d.watch = watch
	return d, nil
}

// waitListening waits until every address accepts connections.
func (d *daemon) waitListening(addrs ...string) error {
	deadline := time.Now().Add(15 * time.Second)
	for _, addr := range addrs {
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-d.done:
				return fmt.Errorf("%s exited at start: %v", d.name, d.err)
			default:
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s not listening on %s after 15s: %w", d.name, addr, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// stop asks the master to shut down with its children, and kills the
// process group if it has not within ten seconds.
func (d *daemon) stop() error {
	if d.watch != nil {
		// Stopped here, by us: the watchdog can go.
		io.WriteString(d.watchdog, "ok\n")
		d.watchdog.Close()
		defer d.watch.Wait()
	}
	pgid := d.cmd.Process.Pid
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-d.done
		return fmt.Errorf("%s did not stop within 10s of SIGTERM: killed", d.name)
	}
	// Postfix's master signals its children and exits without waiting
	// for them: wait until the whole group has exited.
	deadline := time.Now().Add(5 * time.Second)
	for groupRunning(pgid) {
		if time.Now().After(deadline) {
			syscall.Kill(-pgid, syscall.SIGKILL)
			return fmt.Errorf("%s: processes left 5s after the master stopped: killed", d.name)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// makeHome creates addr's home directory, owned by the mail user.
func (s *servers) makeHome(addr string) error {
	h := s.home(addr)
	if err := os.MkdirAll(h, 0o700); err != nil {
		return err
	}
	return os.Chown(h, s.uid, s.gid)
}

// addUser gives addr a mailbox (password: the test password); for tests
// that need people beyond the usual ones.
func (s *servers) addUser(t testing.TB, addr string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	addr = strings.ToLower(addr)
	if slices.Contains(s.users, addr) {
		return
	}
	s.users = append(s.users, addr)
	if err := s.makeHome(addr); err != nil {
		t.Fatal(err)
	}
	if err := s.writeUsers(); err != nil {
		t.Fatal(err)
	}
}

// tlsConfig trusts the servers' certificate and nothing else.
func (s *servers) tlsConfig() *tls.Config {
	return &tls.Config{RootCAs: s.roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// send writes a plain message as a person's mail client would and submits
// it to Postfix; from may carry a name ("Ann Smith <ann@example.test>"). It
// returns the Message-ID, without angle brackets.
func (s *servers) send(t testing.TB, from, to, subject, body string) string {
	t.Helper()
	id, raw := compose(t, from, to, subject, body)
	sender, _ := netmail.ParseAddress(from)
	s.sendRaw(t, sender.Address, to, raw)
	return id
}

// compose writes a plain message as a person's mail client would, and
// returns its Message-ID (without angle brackets) and its text.
func compose(t testing.TB, from, to, subject, body string, extra ...string) (id, raw string) {
	t.Helper()
	sender, err := netmail.ParseAddress(from)
	if err != nil {
		t.Fatalf("compose: From %q: %v", from, err)
	}
	id = fmt.Sprintf("%d.%s", time.Now().UnixNano(), sender.Address)
	var top strings.Builder
	for _, h := range extra {
		top.WriteString(h + "\r\n")
	}
	raw = fmt.Sprintf("%sFrom: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		top.String(), sender, to, subject, time.Now().Format(time.RFC1123Z), id, strings.ReplaceAll(body, "\n", "\r\n"))
	return id, raw
}

// sendRaw submits raw to Postfix's public port over SMTP with STARTTLS,
// with envFrom as the envelope sender ("" for a null sender), as anyone on
// the internet may.
func (s *servers) sendRaw(t testing.TB, envFrom, to, raw string) {
	t.Helper()
	s.sendVia(t, s.smtpAddr, "", envFrom, to, raw)
}

// submitRaw sends raw through the submission port logged in as login, as
// a person's mail program does; envFrom and the From in raw may be anyone.
func (s *servers) submitRaw(t testing.TB, login, envFrom, to, raw string) {
	t.Helper()
	s.sendVia(t, s.submitAddr, login, envFrom, to, raw)
}

// submit is send through the submission port, logged in as login.
func (s *servers) submit(t testing.TB, login, from, to, subject, body string) string {
	t.Helper()
	id, raw := compose(t, from, to, subject, body)
	sender, _ := netmail.ParseAddress(from)
	s.submitRaw(t, login, sender.Address, to, raw)
	return id
}

// client is a person's mail program against these servers: STARTTLS
// trusting their certificate, then the one password.
func (s *servers) client() mailtest.Client {
	return mailtest.Client{TLS: s.tlsConfig(), Password: password}
}

// sendVia hands raw to Postfix at addr after STARTTLS, first logging in as
// login with AUTH PLAIN unless login is "".
func (s *servers) sendVia(t testing.TB, addr, login, envFrom, to, raw string) {
	t.Helper()
	s.client().Send(t, addr, login, envFrom, to, raw)
}

// message is one message in a mailbox, with its header read.
type message struct {
	mailtest.Message
	Header mail.Header
}

// messageID is the Message-ID without angle brackets.
func (m *message) messageID() string {
	id, _ := m.Header.MessageID()
	return id
}

// text is the first text/plain part, decoded.
func (m *message) text() string {
	r, err := mail.CreateReader(bytes.NewReader(m.Raw))
	if err != nil && !gomessage.IsUnknownCharset(err) {
		return ""
	}
	for {
		p, err := r.NextPart()
		if err != nil {
			return ""
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				b, _ := io.ReadAll(p.Body)
				return string(b)
			}
		}
	}
}

// login opens addr's INBOX the way a person's mail client does: STARTTLS,
// then a password.
func (s *servers) login(t testing.TB, addr string) (*imapclient.Client, *imap.SelectData) {
	t.Helper()
	return s.client().Login(t, s.imapAddr, addr)
}

// mailbox returns every message in addr's INBOX, without flagging any.
func (s *servers) mailbox(t testing.TB, addr string) []*message {
	t.Helper()
	var out []*message
	for _, raw := range s.client().Mailbox(t, s.imapAddr, addr) {
		m := &message{Message: raw}
		h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(m.Raw)))
		if err != nil {
			t.Fatalf("message %d in %s's INBOX: %v", m.UID, addr, err)
		}
		m.Header = mail.Header{Header: gomessage.Header{Header: h}}
		out = append(out, m)
	}
	return out
}

// waitForMail waits until a message in addr's INBOX satisfies pred (nil
// for any), and returns it.
func (s *servers) waitForMail(t testing.TB, addr string, pred func(*message) bool) *message {
	t.Helper()
	var found *message
	mailtest.Wait(t, waitTimeout, "a matching message in "+addr+"'s INBOX", func() bool {
		for _, m := range s.mailbox(t, addr) {
			if pred == nil || pred(m) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// clearMailbox deletes every message in addr's INBOX.
func (s *servers) clearMailbox(t testing.TB, addr string) {
	t.Helper()
	s.client().Clear(t, s.imapAddr, addr)
}

// fresh empties each address's INBOX, so a test (or a second run under
// -count) starts from nothing.
func (s *servers) fresh(t testing.TB, addrs ...string) {
	t.Helper()
	for _, a := range addrs {
		s.clearMailbox(t, a)
	}
}

// setSieve makes script addr's active Sieve script, run by Dovecot's LMTP
// on every message delivered to addr. Vacation's memory of whom it already
// answered is cleared with it.
func (s *servers) setSieve(t testing.TB, addr, script string) {
	t.Helper()
	dir := filepath.Join(s.home(addr), "sieve")
	file := filepath.Join(dir, "active.sieve")
	link := filepath.Join(s.home(addr), ".dovecot.sieve")
	os.Remove(link)
	os.Remove(filepath.Join(s.home(addr), ".dovecot.lda-dupes"))
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

// waitForLog waits until a line of Dovecot's or Postfix's log matches re
// and returns it: the one way to see what a server decided not to do.
func (s *servers) waitForLog(t testing.TB, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		for _, f := range []string{"dovecot.log", "postfix.log"} {
			b, _ := os.ReadFile(filepath.Join(s.dir, f))
			if line := re.Find(b); line != nil {
				return string(line)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line matching %s after %v", re, waitTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logs is the tail of every server log, for a failure's report.
func (s *servers) logs() string {
	var b strings.Builder
	for _, f := range []string{"dovecot.out", "dovecot.log", "postfix.out", "postfix.log"} {
		data, err := os.ReadFile(filepath.Join(s.dir, f))
		if err != nil || len(data) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		fmt.Fprintf(&b, "--- %s (last %d lines)\n%s\n", f, len(lines), strings.Join(lines, "\n"))
	}
	return b.String()
}

// groupRunning reports whether a process of group pgid is still running:
// exited ones wait as zombies until init reaps them, which in a container
// may take seconds.
func groupRunning(pgid int) bool {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		rest := string(b[i+1:])
		fields := strings.Fields(rest)
		if len(fields) > 2 && fields[0] != "Z" && fields[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}
