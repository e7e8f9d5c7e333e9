package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"time"

	"github.com/betterdays/mailbot/mailbot"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"
)

// latency starts the bot as `mailbot run` does with no mail server
// configured (embedded server, fresh database) and plays n people, one at
// a time: each has their own mailbox open in IDLE before their letter goes
// out over SMTP, and the latency is from the server's 250 after DATA to the
// EXISTS that announces the reply in their mailbox.
//
// IDLE rather than polling: the server tells us the moment the reply is
// delivered, so the clock is not rounded up to a polling interval and no
// busy poller competes with the bot for the two cores. The reply is then
// fetched and checked to be the answer to that letter, so a wake-up for
// anything else would be caught rather than timed.
func latency(ctx context.Context, e *env, args []string) (result, error) {
	fs := flag.NewFlagSet("latency", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var com common
	com.register(fs)
	n := fs.Int("n", 200, "letters, each from a different person")
	wait := fs.Duration("wait", 30*time.Second, "longest to wait for one reply")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *n < 1 {
		return nil, errors.New("-n must be 1 or more")
	}
	dir, cleanup, err := com.workDir(e)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	bl, err := newBotLog(dir)
	if err != nil {
		return nil, err
	}
	defer bl.Close()
	// Always the embedded server, whatever the environment says.
	svc, err := startBot(ctx, dir, map[string]string{"MAILBOT_IMAP": "", "MAILBOT_SMTP": ""}, e.getenv, bl)
	if err != nil {
		return nil, err
	}
	defer svc.Close()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx, nil) }()
	defer func() { stop(); <-done }()
	if err := waitConnected(ctx, svc.Inbox.Status); err != nil {
		return nil, err
	}

	sc, err := smtp.Dial(svc.Config.SMTP.Host)
	if err != nil {
		return nil, fmt.Errorf("SMTP: %w", err)
	}
	defer sc.Close()
	if err := sc.Hello("bench.example"); err != nil {
		return nil, fmt.Errorf("SMTP: %w", err)
	}

	e.progress("%d letters, one at a time, to %s (SMTP %s, IMAP %s; bot log in %s)", *n, svc.Config.Address, svc.Config.SMTP.Host, svc.Config.IMAP.Host, dir)
	stopProfile, err := startCPUProfile(com.cpuProfile)
	if err != nil {
		return nil, err
	}
	defer stopProfile()
	var total, toHandled, toSent distribution
	byKind := map[string]distribution{}
	base := time.Now()
	for i := range *n {
		l := makeLetter(i, svc.Config.Address, base)
		d, err := oneLetter(ctx, svc.Config.IMAP.Host, sc, l, svc.Config.Address, *wait)
		if err != nil {
			return nil, fmt.Errorf("letter %d (%s, from %s): %w", i, l.kind, l.from, err)
		}
		total = append(total, d.total)
		byKind[l.kind] = append(byKind[l.kind], d.total)
		if handled, sent := bl.times(l.from); !handled.IsZero() && !sent.IsZero() {
			toHandled = append(toHandled, handled.Sub(d.accepted))
			toSent = append(toSent, sent.Sub(d.accepted))
		}
		if (i+1)%50 == 0 {
			e.progress("%d of %d: p50 %s ms so far", i+1, *n, ms(percentile(total.sorted(), 50)))
		}
	}
	stopProfile()

	var kinds []string
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		s := byKind[k].sorted()
		e.progress("  %-10s %4d letters  p50 %6s ms  max %6s ms", k, len(s), ms(percentile(s, 50)), ms(s[len(s)-1]))
	}
	s := total.sorted()
	var r result
	r.add("p50_ms", "%s", ms(percentile(s, 50)))
	r.add("p90_ms", "%s", ms(percentile(s, 90)))
	r.add("p99_ms", "%s", ms(percentile(s, 99)))
	r.add("max_ms", "%s", ms(s[len(s)-1]))
	r.add("n", "%d", len(s))
	// The stages, from the bot's own log lines: committed, then sent.
	r.add("handled_p50_ms", "%s", ms(percentile(toHandled.sorted(), 50)))
	r.add("sent_p50_ms", "%s", ms(percentile(toSent.sorted(), 50)))
	return r, nil
}

// timing is one letter's: when the server accepted it and how long until
// the reply was announced in the sender's mailbox.
type timing struct {
	accepted time.Time
	total    time.Duration
}

// oneLetter plays one person: open their mailbox in IDLE, send the letter,
// wait for the reply and check it answers the letter.
func oneLetter(ctx context.Context, imapHost string, sc *smtp.Client, l letter, to string, wait time.Duration) (timing, error) {
	arrived := make(chan time.Time, 1)
	opts := &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		// Runs on the client's reader goroutine: take the time there.
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil && *d.NumMessages > 0 {
				select {
				case arrived <- time.Now():
				default:
				}
			}
		},
	}}
	pc, sel, err := mailbox{host: imapHost, user: l.from, password: "any"}.dial(ctx, opts)
	if err != nil {
		return timing{}, err
	}
	defer pc.Close()
	if sel.NumMessages != 0 {
		return timing{}, fmt.Errorf("%s's mailbox is not empty", l.from)
	}
	idle, err := pc.Idle()
	if err != nil {
		return timing{}, fmt.Errorf("IDLE: %w", err)
	}
	accepted, err := submit(sc, l.from, to, l.raw)
	if err != nil {
		idle.Close()
		return timing{}, err
	}
	var t timing
	t.accepted = accepted
	select {
	case at := <-arrived:
		t.total = at.Sub(accepted)
	case <-time.After(wait):
		idle.Close()
		return t, fmt.Errorf("no reply within %s", wait)
	case <-ctx.Done():
		idle.Close()
		return t, ctx.Err()
	}
	if err := idle.Close(); err != nil {
		return t, fmt.Errorf("end IDLE: %w", err)
	}
	if err := idle.Wait(); err != nil {
		return t, fmt.Errorf("IDLE: %w", err)
	}
	if err := checkReply(pc, l.messageID); err != nil {
		return t, err
	}
	pc.Logout().Wait()
	return t, nil
}

// submit sends one message over the open SMTP connection and returns the
// moment the server's 250 after DATA arrived.
func submit(c *smtp.Client, from, to string, raw []byte) (time.Time, error) {
	if err := c.Mail(from, nil); err != nil {
		return time.Time{}, fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to, nil); err != nil {
		return time.Time{}, fmt.Errorf("RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return time.Time{}, fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(raw); err != nil {
		return time.Time{}, fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return time.Time{}, fmt.Errorf("end of DATA: %w", err)
	}
	return time.Now(), nil
}

// checkReply fetches the one message in the selected mailbox and checks
// that it is the bot's answer to msgID.
func checkReply(c *imapclient.Client, msgID string) error {
	var first imap.SeqSet
	first.AddNum(1)
	header := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	msgs, err := c.Fetch(first, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{header}}).Collect()
	if err != nil {
		return fmt.Errorf("fetch the reply: %w", err)
	}
	if len(msgs) != 1 {
		return fmt.Errorf("fetch the reply: %d messages", len(msgs))
	}
	h := msgs[0].FindBodySection(header)
	if !bytes.Contains(h, []byte("In-Reply-To: <"+msgID+">")) {
		return fmt.Errorf("the message that arrived does not answer <%s>:\n%s", msgID, h)
	}
	return nil
}

// waitConnected waits until the bot's inbox has logged in and looked at
// its mailbox once, so the first letter does not time the bot's start.
func waitConnected(ctx context.Context, status func() mailbot.InboxStatus) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		if st := status(); st.Connected && !st.LastPoll.IsZero() {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("the bot's inbox did not connect within 10s")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
