package mailserver

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func startServer(t *testing.T) *Server {
	t.Helper()
	s, err := Start(Options{
		SMTPAddr: "127.0.0.1:0",
		IMAPAddr: "127.0.0.1:0",
		Hostname: "mail.test",
		// Connection goroutines may log after the test ends; t.Log would panic.
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func imapLogin(t *testing.T, s *Server, user string, opts *imapclient.Options) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(s.IMAPAddr(), opts)
	if err != nil {
		t.Fatalf("IMAP dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, "any password at all").Wait(); err != nil {
		t.Fatalf("IMAP login %s: %v", user, err)
	}
	return c
}

// fetchInbox selects INBOX and returns every message's full raw text.
func fetchInbox(t *testing.T, c *imapclient.Client) [][]byte {
	t.Helper()
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatalf("SELECT INBOX: %v", err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	bufs, err := c.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{
		UID:         true,
		BodySection: []*imap.FetchItemBodySection{section},
	}).Collect()
	if err != nil {
		t.Fatalf("UID FETCH: %v", err)
	}
	var out [][]byte
	for _, b := range bufs {
		out = append(out, b.FindBodySection(section))
	}
	return out
}

func TestSMTPToIMAP(t *testing.T) {
	t.Parallel()
	s := startServer(t)

	c, err := smtp.Dial(s.SMTPAddr())
	if err != nil {
		t.Fatalf("SMTP dial: %v", err)
	}
	defer c.Close()
	// AUTH is optional, but a client that insists must get in with anything.
	if err := c.Auth(sasl.NewPlainClient("", "whoever", "whatever")); err != nil {
		t.Fatalf("SMTP AUTH PLAIN: %v", err)
	}
	body := "Hello Alice,\r\n.leading dot survives\r\n"
	msg := "From: sender@example.net\r\nTo: Alice@Example.org\r\nSubject: hi\r\n\r\n" + body
	err = c.SendMail("sender@example.net", []string{"Alice@Example.org", "bot+tok123@example.org"}, strings.NewReader(msg))
	if err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	if err := c.Quit(); err != nil {
		t.Fatalf("QUIT: %v", err)
	}

	for _, user := range []string{"alice@example.org", "BOT@example.org"} {
		got := fetchInbox(t, imapLogin(t, s, user, nil))
		if len(got) != 1 {
			t.Fatalf("%s: %d messages in INBOX, want 1", user, len(got))
		}
		raw := string(got[0])
		lines := strings.SplitN(raw, "\r\n", 4)
		if !strings.HasPrefix(lines[0], "Return-Path: <sender@example.net>") {
			t.Errorf("%s: first header %q, want Return-Path", user, lines[0])
		}
		if want := "Authentication-Results: mail.test; auth=pass smtp.auth=sender@example.net smtp.mailfrom=sender@example.net"; lines[1] != want {
			t.Errorf("%s: second header %q, want %q", user, lines[1], want)
		}
		if !strings.HasPrefix(lines[2], "Received: from localhost (127.0.0.1) by mail.test with ESMTP; ") {
			t.Errorf("%s: third header %q, want Received", user, lines[2])
		}
		if lines[3] != msg {
			t.Errorf("%s: message after trace headers = %q, want %q", user, lines[3], msg)
		}
	}

	// Plus-addressing folds at delivery only: the literal tagged login is a
	// different, empty mailbox.
	if got := fetchInbox(t, imapLogin(t, s, "bot+tok123@example.org", nil)); len(got) != 0 {
		t.Errorf("bot+tok123 login: %d messages, want 0", len(got))
	}
}

func TestIdleWakesOnDeliver(t *testing.T) {
	t.Parallel()
	s := startServer(t)

	exists := make(chan uint32, 16)
	c := imapLogin(t, s, "carol@example.org", &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil {
					exists <- *data.NumMessages
				}
			},
		},
	})
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("SELECT: %v", err)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatalf("IDLE: %v", err)
	}

	if err := s.Deliver("dave@example.net", "Carol@example.org", []byte("Subject: ping\r\n\r\nwake up\r\n")); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	select {
	case n := <-exists:
		if n != 1 {
			t.Errorf("EXISTS %d, want 1", n)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no EXISTS while idling after Deliver")
	}

	// A message APPENDed by another session (a test script playing the
	// member) must wake the idler too.
	other := imapLogin(t, s, "CAROL@example.org", nil)
	msg := []byte("Subject: appended\r\n\r\nhi\r\n")
	app := other.Append("INBOX", int64(len(msg)), nil)
	if _, err := app.Write(msg); err != nil {
		t.Fatalf("APPEND write: %v", err)
	}
	if err := app.Close(); err != nil {
		t.Fatalf("APPEND close: %v", err)
	}
	if _, err := app.Wait(); err != nil {
		t.Fatalf("APPEND: %v", err)
	}
	select {
	case n := <-exists:
		if n != 2 {
			t.Errorf("EXISTS %d after APPEND, want 2", n)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no EXISTS while idling after another session's APPEND")
	}

	if err := idle.Close(); err != nil {
		t.Fatalf("IDLE close: %v", err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatalf("IDLE wait: %v", err)
	}
}

func TestNullSenderAndBareLF(t *testing.T) {
	t.Parallel()
	s := startServer(t)

	c, err := smtp.Dial(s.SMTPAddr())
	if err != nil {
		t.Fatalf("SMTP dial: %v", err)
	}
	defer c.Close()
	bounce := "From: MAILER-DAEMON@example.net\r\nSubject: bounce\r\n\r\nundeliverable\r\n"
	if err := c.SendMail("", []string{"erin@example.org"}, strings.NewReader(bounce)); err != nil {
		t.Fatalf("SendMail with null sender: %v", err)
	}

	lf := "From: frank@example.net\nSubject: unix\n\nline one\nline two\n"
	if err := s.Deliver("", "erin@example.org", []byte(lf)); err != nil {
		t.Fatalf("Deliver LF-only: %v", err)
	}

	got := fetchInbox(t, imapLogin(t, s, "erin@example.org", nil))
	if len(got) != 2 {
		t.Fatalf("%d messages, want 2", len(got))
	}
	for i, raw := range got {
		if !bytes.HasPrefix(raw, []byte("Return-Path: <>\r\nAuthentication-Results: mail.test; auth=pass\r\n")) {
			t.Errorf("message %d: trace headers wrong: %q", i, raw)
		}
	}
	if !bytes.HasSuffix(got[0], []byte("\r\n\r\nundeliverable\r\n")) {
		t.Errorf("bounce body wrong: %q", got[0])
	}
	if !bytes.HasSuffix(got[1], []byte("Subject: unix\r\n\r\nline one\r\nline two\r\n")) {
		t.Errorf("LF message not normalised to CRLF: %q", got[1])
	}
	if bytes.Contains(bytes.ReplaceAll(got[1], []byte("\r\n"), nil), []byte("\n")) {
		t.Errorf("bare LF left in stored message: %q", got[1])
	}
}

// TestBotCommands exercises the IMAP commands the bot's client relies on.
func TestBotCommands(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for i := range 3 {
		msg := "Subject: n" + string(rune('0'+i)) + "\r\n\r\nbody\r\n"
		if err := s.Deliver("x@example.net", "bot@example.org", []byte(msg)); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
	}
	c := imapLogin(t, s, "bot@example.org", nil)
	for _, cp := range []imap.Cap{imap.CapIMAP4rev2, imap.CapIdle, imap.CapUIDPlus, imap.CapMove, imap.CapNamespace, imap.CapESearch} {
		if !c.Caps().Has(cp) {
			t.Errorf("capability %s not advertised: %v", cp, c.Caps())
		}
	}
	if err := c.Create("Processed", nil).Wait(); err != nil {
		t.Fatalf("CREATE: %v", err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("SELECT: %v", err)
	}
	if err := c.Store(imap.UIDSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatalf("UID STORE: %v", err)
	}
	res, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		t.Fatalf("UID SEARCH: %v", err)
	}
	if uids := res.AllUIDs(); len(uids) != 2 || uids[0] != 2 || uids[1] != 3 {
		t.Fatalf("UID SEARCH UNSEEN = %v, want [2 3]", uids)
	}
	if _, err := c.Move(imap.UIDSetNum(2), "Processed").Wait(); err != nil {
		t.Fatalf("UID MOVE: %v", err)
	}
	sent := []byte("Subject: sent\r\n\r\nmine\r\n")
	app := c.Append("Processed", int64(len(sent)), nil)
	if _, err := app.Write(sent); err != nil {
		t.Fatalf("APPEND write: %v", err)
	}
	if err := app.Close(); err != nil {
		t.Fatalf("APPEND close: %v", err)
	}
	if _, err := app.Wait(); err != nil {
		t.Fatalf("APPEND: %v", err)
	}
	st, err := c.Status("Processed", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatalf("STATUS: %v", err)
	}
	if *st.NumMessages != 2 {
		t.Errorf("Processed has %d messages, want 2", *st.NumMessages)
	}
	if got := len(fetchInbox(t, c)); got != 2 {
		t.Errorf("INBOX has %d messages after MOVE, want 2", got)
	}
}

func TestRejectsBadRecipient(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	if err := s.Deliver("", "no-domain", []byte("x\r\n")); err == nil {
		t.Error("Deliver to an address without @ succeeded")
	}
	if err := s.Deliver("a\r\nX-Evil: 1", "ok@example.org", []byte("x\r\n")); err == nil {
		t.Error("Deliver with a line break in the sender succeeded")
	}
}

func TestCloseTwiceAndRefuses(t *testing.T) {
	t.Parallel()
	s, err := Start(Options{SMTPAddr: "127.0.0.1:0", IMAPAddr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	smtpAddr, imapAddr := s.SMTPAddr(), s.IMAPAddr()

	// An open IMAP client must be disconnected by Close.
	c, err := imapclient.DialInsecure(imapAddr, nil)
	if err != nil {
		t.Fatalf("IMAP dial: %v", err)
	}
	defer c.Close()
	if err := c.Login("gina@example.org", "pw").Wait(); err != nil {
		t.Fatalf("login: %v", err)
	}

	if err := s.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	select {
	case <-c.Closed():
	case <-time.After(3 * time.Second):
		t.Error("IMAP client still connected after Close")
	}
	for _, addr := range []string{smtpAddr, imapAddr} {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			t.Errorf("%s still accepts connections after Close", addr)
		}
	}
}

func TestStartListenError(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = Start(Options{SMTPAddr: "127.0.0.1:0", IMAPAddr: ln.Addr().String(), Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "embedded IMAP listen") {
		t.Fatalf("Start on a busy port: err = %v, want embedded IMAP listen error", err)
	}
}

// TestUIDValidity: the server's UIDVALIDITY is what Options says, in
// SELECT, STATUS and APPEND alike, and a new server's own is the time it
// started: its mailboxes are new, and a client must not take their UIDs
// for the last server's.
func TestUIDValidity(t *testing.T) {
	t.Parallel()
	s, err := Start(Options{SMTPAddr: "127.0.0.1:0", IMAPAddr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler), UIDValidity: 5000})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := imapLogin(t, s, "alice@example.org", nil)
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Status("INBOX", &imap.StatusOptions{UIDValidity: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	msg := "From: a@example.org\r\n\r\nhi\r\n"
	app := c.Append("INBOX", int64(len(msg)), nil)
	app.Write([]byte(msg))
	app.Close()
	ad, err := app.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.UIDValidity != 5001 || st.UIDValidity != 5001 || ad.UIDValidity != 5001 {
		t.Errorf("UIDVALIDITY in SELECT %d, STATUS %d, APPEND %d; want 5001 in each", sel.UIDValidity, st.UIDValidity, ad.UIDValidity)
	}

	before := uint32(time.Now().Unix())
	fresh := startServer(t)
	sel, err = imapLogin(t, fresh, "alice@example.org", nil).Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.UIDValidity <= before {
		t.Errorf("a new server's UIDVALIDITY is %d, want past the time it started (%d)", sel.UIDValidity, before)
	}
}
