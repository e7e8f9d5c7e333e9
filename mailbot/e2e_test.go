package mailbot

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/emersion/go-message/mail"
)

// TestE2EConversation is the whole path in embedded mode, as `mailbot run`
// starts it: a person sends "help" with a real SMTP client and reads the
// reply from their own mailbox with a real IMAP client.
func TestE2EConversation(t *testing.T) {
	t.Parallel()
	skipReal(t, "it tests the embedded server the bot starts for itself")
	env := map[string]string{"MAILBOT_DB": t.TempDir() + "/mailbot.db", "MAILBOT_POLL": "3s"}
	cfg, err := FromEnv(func(k string) string { return env[k] })
	if err != nil || !cfg.Embedded {
		t.Fatalf("FromEnv() = embedded %v, %v; want the embedded default", cfg.Embedded, err)
	}
	cfg.SMTP.Host, cfg.IMAP.Host = "127.0.0.1:0", "127.0.0.1:0"
	svc, _ := startBot(t, cfg)
	if n, _ := svc.Store.CountSessions(context.Background()); n != 16 {
		t.Errorf("demo timetable: %d sessions, want 16", n)
	}
	smtpAddr, imapAddr := svc.Config.SMTP.Host, svc.Config.IMAP.Host

	mailtest.Send(t, smtpAddr, "mary@example.org", botAddress, message(`"Jones, Mary" <Mary@Example.org>`, "help", "q1@example.org", "help"))
	msgs := mailtest.WaitForMail(t, imapAddr, "mary@example.org", 1)

	mr, err := mail.CreateReader(bytes.NewReader(msgs[0].Raw))
	if err != nil {
		t.Fatal(err)
	}
	h := mr.Header
	from, _ := h.AddressList("From")
	to, _ := h.AddressList("To")
	subject, _ := h.Subject()
	inReplyTo, _ := h.MsgIDList("In-Reply-To")
	refs, _ := h.MsgIDList("References")
	msgID, _ := h.MessageID()
	if _, err := h.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"From", from[0].String(), `"Better Days" <betterdays@localhost>`},
		{"To", to[0].Address, "mary@example.org"},
		{"Subject", subject, "Re: help"},
		{"In-Reply-To", strings.Join(inReplyTo, " "), "q1@example.org"},
		{"References", strings.Join(refs, " "), "q1@example.org"},
		{"Auto-Submitted", h.Get("Auto-Submitted"), "auto-replied"},
		{"Message-ID domain", msgID[strings.IndexByte(msgID, '@')+1:], "localhost"},
	} {
		if c.got != c.want {
			t.Errorf("reply %s = %q, want %q", c.name, c.got, c.want)
		}
	}
	var types []string
	var text string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := p.Header.(*mail.InlineHeader).ContentType()
		types = append(types, ct)
		b, _ := io.ReadAll(p.Body)
		if ct == "text/plain" {
			text = string(b)
		}
	}
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Errorf("reply parts = %v, want text/plain then text/html", types)
	}
	for _, want := range []string{"Hello Mary,", "What sessions are there?", "Book me on 15 July", "Unsubscribe"} {
		if !strings.Contains(text, want) {
			t.Errorf("reply text lacks %q:\n%s", want, text)
		}
	}
	// The bot's copy is flagged \Seen only after it was handled.
	mailtest.WaitFor(t, "the request to be flagged \\Seen", func() bool {
		in := mailtest.Mailbox(t, imapAddr, botAddress)
		return len(in) == 1 && in[0].Seen()
	})
}

// sentinel sends a message from someone else and waits for its answer,
// and then for svc's outbox to be empty. Messages are handled in UID order,
// so once it is answered every message before it has been handled; their
// replies were queued before its own, but go out over several connections,
// so one may still be on its way (seen on a loaded machine): once nothing
// is queued, and the mail system has delivered what it took, everything
// has been delivered, and a count taken then is final.
func sentinel(t *testing.T, ms *mailSystem, svc *Service, who string) {
	t.Helper()
	n := len(ms.Mailbox(t, who))
	ms.Send(t, who, botAddress, message(who, "help", who+".sentinel", "help"))
	ms.WaitForMail(t, who, n+1)
	mailtest.WaitFor(t, "the outbox to be empty", func() bool {
		st, err := svc.Store.OutboxStats(context.Background())
		return err == nil && st.Queued == 0
	})
	ms.Delivered(t)
}

// TestE2ERestartNoSecondReply stops the bot and starts it again on the same
// database and mailbox: the first message is not answered again.
func TestE2ERestartNoSecondReply(t *testing.T) {
	t.Parallel()
	ms := startMailSystem(t)
	cfg := ms.config(t, t.TempDir(), nil)

	_, stop := startBot(t, cfg)
	ms.Send(t, "ann@example.org", botAddress, message("ann@example.org", "hello", "r1@example.org", "help"))
	ms.WaitForMail(t, "ann@example.org", 1)
	stop()

	// Make the mailbox look as if the bot had crashed after committing but
	// before flagging: the message is unseen and the record unmarked.
	db, err := sql.Open("sqlite3", cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE inbound SET marked = 0`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	ms.Unsee(t, botAddress)

	svc, _ := startBot(t, cfg)
	sentinel(t, ms, svc, "zed@example.org")
	if got := len(ms.Mailbox(t, "ann@example.org")); got != 1 {
		t.Errorf("after restart ann has %d replies, want 1", got)
	}
	mailtest.WaitFor(t, "the unflagged message to be flagged on reconnect", func() bool {
		for _, m := range ms.Mailbox(t, botAddress) {
			if !m.Seen() {
				return false
			}
		}
		return true
	})
	if n, _ := svc.Store.CountInbound(context.Background()); n != 2 {
		t.Errorf("inbound records = %d, want 2", n)
	}
}

// TestE2EDuplicateMessageID delivers the same message twice (as a mail server
// retrying after a lost acknowledgement does): one reply.
func TestE2EDuplicateMessageID(t *testing.T) {
	t.Parallel()
	ms := startMailSystem(t)
	svc, _ := startBot(t, ms.config(t, t.TempDir(), nil))
	raw := message("bea@example.org", "help", "dup@example.org", "help")
	ms.Send(t, "bea@example.org", botAddress, raw)
	ms.Send(t, "bea@example.org", botAddress, raw)
	sentinel(t, ms, svc, "zed@example.org")
	if got := len(ms.Mailbox(t, "bea@example.org")); got != 1 {
		t.Errorf("bea has %d replies to a message delivered twice, want 1", got)
	}
	mailtest.WaitFor(t, "both copies flagged \\Seen", func() bool {
		n := 0
		for _, m := range ms.Mailbox(t, botAddress) {
			if m.Seen() {
				n++
			}
		}
		return n == 3 // both copies and the sentinel
	})
}

// TestE2ENeverAnswered sends what a bot must not answer, and malformed mail:
// each is recorded, nothing crashes, and only a person with a readable
// address gets a reply.
func TestE2ENeverAnswered(t *testing.T) {
	t.Parallel()
	ms := startMailSystem(t)
	svc, _ := startBot(t, ms.config(t, t.TempDir(), nil))
	big := "From: Big <big@example.org>\r\nTo: " + botAddress + "\r\nSubject: photos\r\nMessage-ID: <big@example.org>\r\n\r\n" +
		strings.Repeat(strings.Repeat("x", 998)+"\r\n", 10_000) // 10 MB
	cases := []struct {
		name, envFrom, raw, outcome string
		replyTo                     string // who gets a reply, or ""
	}{
		{"out of office", "oof@example.org", "From: oof@example.org\r\nSubject: Automatic reply: hi\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <oof@x>\r\n\r\nAway\r\n", "ignored: automatic (Auto-Submitted: auto-replied)", ""},
		{"bulk", "news@example.org", "From: news@example.org\r\nPrecedence: bulk\r\nMessage-ID: <bulk@x>\r\n\r\nNews\r\n", "ignored: automatic (Precedence: bulk)", ""},
		{"list", "list@example.org", "From: list@example.org\r\nList-Id: <l.example.org>\r\nMessage-ID: <list@x>\r\n\r\nPost\r\n", "ignored: automatic (List-Id header)", ""},
		{"null sender", "", "From: someone@example.org\r\nMessage-ID: <null@x>\r\n\r\nBounce\r\n", "ignored: automatic (null Return-Path)", ""},
		{"mailer-daemon", "MAILER-DAEMON@example.org", "From: MAILER-DAEMON@example.org\r\nMessage-ID: <md@x>\r\n\r\nFailed\r\n", "ignored: automatic (sender is a mail system)", ""},
		{"ourselves", botAddress, "From: " + botAddress + "\r\nMessage-ID: <self@x>\r\n\r\nloop\r\n", "ignored: from our own address", ""},
		{"no From", "x@example.org", "Subject: hi\r\nMessage-ID: <nofrom@x>\r\n\r\nhelp\r\n", "ignored: no valid sender", ""},
		{"invalid From", "x@example.org", "From: not an address\r\nMessage-ID: <badfrom@x>\r\n\r\nhelp\r\n", "ignored: no valid sender", ""},
		{"binary junk", "x@example.org", "\x00\x01\xfe\xff junk \x00\r\n\r\n\x00\x00", "ignored: no valid sender", ""},
		{"broken MIME", "dan@example.org", "From: dan@example.org\r\nMessage-ID: <broken@x>\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nhelp me\r\n--z", "replied: help", "dan@example.org"},
		{"10 MB body", "big@example.org", big, "replied: too large to read", "big@example.org"},
	}
	for _, c := range cases {
		ms.Send(t, c.envFrom, botAddress, c.raw)
	}
	sentinel(t, ms, svc, "zed@example.org")
	for _, c := range cases {
		m, _ := understand.Parse([]byte(c.raw))
		if m.MessageID == "" {
			continue // filed under a digest of the bytes as delivered
		}
		got, err := svc.Store.InboundOutcome(context.Background(), m.MessageID)
		if err != nil || got != c.outcome {
			t.Errorf("%s: outcome = %q, %v; want %q", c.name, got, err, c.outcome)
		}
		if c.replyTo != "" {
			if n := len(ms.Mailbox(t, c.replyTo)); n != 1 {
				t.Errorf("%s: %s got %d replies, want 1", c.name, c.replyTo, n)
			}
		}
	}
	for _, who := range []string{"oof@example.org", "news@example.org", "list@example.org", "someone@example.org", "x@example.org"} {
		if n := len(ms.Mailbox(t, who)); n != 0 {
			t.Errorf("%s got %d replies, want none", who, n)
		}
	}
	if n, _ := svc.Store.CountInbound(context.Background()); n != len(cases)+1 {
		t.Errorf("inbound records = %d, want %d (every case and the sentinel)", n, len(cases)+1)
	}
	big10 := ms.Mailbox(t, "big@example.org")
	if len(big10) == 1 && !strings.Contains(string(big10[0].Raw), "too large for me to read") {
		t.Errorf("reply to a 10 MB message does not say it was too large:\n%s", string(big10[0].Raw))
	}
}

// TestE2EHealth reads the health report over real HTTP.
func TestE2EHealth(t *testing.T) {
	t.Parallel()
	ms := startMailSystem(t)
	cfg := ms.config(t, t.TempDir(), nil)
	svc, err := NewService(context.Background(), cfg, SystemClock, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- svc.Run(ctx, ln) }()
	defer func() { cancel(); <-done }()
	mailtest.WaitFor(t, "inbox to connect", func() bool { return svc.Inbox.Status().Connected })
	mailtest.WaitFor(t, "healthz ok", func() bool {
		resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == 200 && strings.Contains(string(b), `"imap_connected":true`) && strings.Contains(string(b), `"outbox_queued":0`)
	})
}

// TestE2EReconnect cuts the IMAP connection while the bot is idling: it
// reconnects by itself and answers mail that arrived meanwhile.
func TestE2EReconnect(t *testing.T) {
	t.Parallel()
	ms := startMailSystem(t)
	proxy := startCutProxy(t, ms.IMAPAddr())
	cfg := ms.config(t, t.TempDir(), map[string]string{
		"MAILBOT_IMAP": "imap://" + botAddress + "@" + proxy.Addr(),
	})
	svc, _ := startBot(t, cfg)
	ms.Send(t, "cy@example.org", botAddress, message("cy@example.org", "help", "c1@example.org", "help"))
	ms.WaitForMail(t, "cy@example.org", 1)

	proxy.Cut()
	mailtest.WaitFor(t, "the inbox to notice the cut", func() bool { return !svc.Inbox.Status().Connected })
	ms.Send(t, "cy@example.org", botAddress, message("cy@example.org", "help again", "c2@example.org", "help"))
	ms.WaitForMail(t, "cy@example.org", 2)
	if !svc.Inbox.Status().Connected {
		t.Error("inbox not connected after answering")
	}
}

// TestE2EPolling answers mail with IDLE switched off, as for a server whose
// IDLE cannot be trusted.
func TestE2EPolling(t *testing.T) {
	t.Parallel()
	ms := startMailSystem(t)
	startBot(t, ms.config(t, t.TempDir(), map[string]string{"MAILBOT_IDLE": "off", "MAILBOT_POLL": "100ms"}))
	for i, id := range []string{"p1@example.org", "p2@example.org"} {
		ms.Send(t, "poll@example.org", botAddress, message("poll@example.org", "help", id, "help"))
		ms.WaitForMail(t, "poll@example.org", i+1)
	}
}

// TestE2EReplyLimit: a flood of messages claiming to be from one address gets
// at most the limit of replies in an hour; the rest are recorded.
func TestE2EReplyLimit(t *testing.T) {
	t.Parallel()
	ms := startMailSystem(t)
	svc, _ := startBot(t, ms.config(t, t.TempDir(), map[string]string{"MAILBOT_REPLY_LIMIT": "3"}))
	for i := range 5 {
		ms.Send(t, "victim@example.org", botAddress,
			message("victim@example.org", "help", fmt.Sprintf("flood%d@example.org", i), "help"))
	}
	sentinel(t, ms, svc, "zed@example.org")
	if n := len(ms.Mailbox(t, "victim@example.org")); n != 3 {
		t.Errorf("victim got %d replies to 5 messages, want the limit of 3", n)
	}
	got, err := svc.Store.InboundOutcome(context.Background(), "flood4@example.org")
	if err != nil || !strings.HasPrefix(got, "not answered: reply limit") {
		t.Errorf("outcome of the 5th = %q, %v; want not answered: reply limit", got, err)
	}
}
