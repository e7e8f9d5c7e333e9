package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// mailbox is an IMAP account the benchmark reads or fills, parsed from the
// same imap://user@host:port (or imaps://) form as MAILBOT_IMAP, with the
// password from MAILBOT_IMAP_PASSWORD as the bot takes it.
type mailbox struct {
	url      string // as given, for the bot's configuration
	host     string // host:port
	tls      bool
	user     string
	password string
}

func parseMailbox(raw string, getenv func(string) string) (mailbox, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "imap" && u.Scheme != "imaps") || u.Hostname() == "" || u.User.Username() == "" {
		return mailbox{}, fmt.Errorf("-imap %q: want imap://user@host:port or imaps://user@host:port (an @ in the user name written %%40)", raw)
	}
	mb := mailbox{url: raw, tls: u.Scheme == "imaps", user: u.User.Username(), password: getenv("MAILBOT_IMAP_PASSWORD")}
	port := u.Port()
	if port == "" {
		port = map[bool]string{true: "993", false: "143"}[mb.tls]
	}
	mb.host = net.JoinHostPort(u.Hostname(), port)
	return mb, nil
}

// dial logs in and selects INBOX. Plain IMAP is meant for loopback servers;
// imaps verifies the server's certificate against the system's roots.
func (mb mailbox) dial(ctx context.Context, opts *imapclient.Options) (*imapclient.Client, *imap.SelectData, error) {
	if opts == nil {
		opts = &imapclient.Options{}
	}
	d := &net.Dialer{Timeout: 10 * time.Second}
	var conn net.Conn
	var err error
	if mb.tls {
		host, _, _ := net.SplitHostPort(mb.host)
		conn, err = (&tls.Dialer{NetDialer: d, Config: &tls.Config{ServerName: host}}).DialContext(ctx, "tcp", mb.host)
	} else {
		conn, err = d.DialContext(ctx, "tcp", mb.host)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("connect to IMAP %s: %w", mb.host, err)
	}
	c := imapclient.New(conn, opts)
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.Login(mb.user, mb.password).Wait(); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("IMAP %s: log in as %s: %w", mb.host, mb.user, err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("IMAP %s: select INBOX: %w", mb.host, err)
	}
	return c, sel, nil
}

// prepare makes the mailbox hold exactly n benchmark messages: it appends
// the letters to an empty mailbox and accepts one that already holds n (so
// imapfetch and inbound read the same mail), all unread when unread is set.
// Anything else is refused unless clear is set, which first deletes
// everything in INBOX.
func prepare(ctx context.Context, e *env, mb mailbox, n int, to string, clear, unread bool) error {
	c, sel, err := mb.dial(ctx, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if sel.NumMessages > 0 && clear {
		e.progress("deleting the %d messages in %s's INBOX (-clear)", sel.NumMessages, mb.user)
		var all imap.SeqSet
		all.AddRange(1, 0)
		if err := c.Store(all, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
			return fmt.Errorf("clear INBOX: %w", err)
		}
		if err := c.Expunge().Close(); err != nil {
			return fmt.Errorf("clear INBOX: %w", err)
		}
		sel.NumMessages = 0
	}
	switch {
	case sel.NumMessages == 0:
		return fill(ctx, e, c, n, to)
	case int(sel.NumMessages) == n:
		seen, err := countSeen(c)
		if err != nil {
			return err
		}
		if unread && seen > 0 {
			return fmt.Errorf("%s's INBOX holds %d messages, %d of them already \\Seen: use -clear to start afresh", mb.user, n, seen)
		}
		e.progress("reusing the %d messages already in %s's INBOX", n, mb.user)
		return nil
	default:
		return fmt.Errorf("%s's INBOX holds %d messages, want 0 or %d: use -clear to start afresh", mb.user, sel.NumMessages, n)
	}
}

// fill appends letters 0..n-1 to INBOX, keeping up to 64 APPENDs in
// flight (go-imap sends non-synchronising literals where the server has
// LITERAL+), so filling is quick and not what is measured.
func fill(ctx context.Context, e *env, c *imapclient.Client, n int, to string) error {
	start := time.Now()
	base := time.Now()
	var inFlight []*imapclient.AppendCommand
	wait := func() error {
		cmd := inFlight[0]
		inFlight = inFlight[1:]
		if _, err := cmd.Wait(); err != nil {
			return fmt.Errorf("append: %w", err)
		}
		return nil
	}
	var total int64
	for i := range n {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		l := makeLetter(i, to, base)
		total += int64(len(l.raw))
		cmd := c.Append("INBOX", int64(len(l.raw)), &imap.AppendOptions{Time: l.date})
		if _, err := cmd.Write(l.raw); err != nil {
			return fmt.Errorf("append: %w", err)
		}
		if err := cmd.Close(); err != nil {
			return fmt.Errorf("append: %w", err)
		}
		inFlight = append(inFlight, cmd)
		if len(inFlight) >= 64 {
			if err := wait(); err != nil {
				return err
			}
		}
		if (i+1)%5000 == 0 {
			e.progress("appended %d of %d", i+1, n)
		}
	}
	for len(inFlight) > 0 {
		if err := wait(); err != nil {
			return err
		}
	}
	e.progress("appended %d messages (%.1f KB on average) in %.1fs", n, float64(total)/float64(max(n, 1))/1024, time.Since(start).Seconds())
	return nil
}

// countSeen counts the messages flagged \Seen in the selected mailbox.
func countSeen(c *imapclient.Client) (int, error) {
	uids, err := seenUIDs(c)
	return len(uids), err
}

// seenUIDs lists the messages flagged \Seen now. The NOOP first matters:
// Dovecot brings a session's view up to date with other sessions' changes
// at NOOP, not at SEARCH, which would otherwise search a stale view.
func seenUIDs(c *imapclient.Client) ([]imap.UID, error) {
	if err := c.Noop().Wait(); err != nil {
		return nil, fmt.Errorf("NOOP: %w", err)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{Flag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("search \\Seen: %w", err)
	}
	return data.AllUIDs(), nil
}

// sent is what the benchmark knows of one message in the mailbox.
type sent struct {
	key  string // the bot's key for it: its Message-ID
	from string
}

// census reads every message's Message-ID and sender, to check afterwards
// what the bot recorded of each.
func census(c *imapclient.Client) (map[imap.UID]sent, error) {
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Envelope: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("fetch envelopes: %w", err)
	}
	out := make(map[imap.UID]sent, len(msgs))
	for _, m := range msgs {
		s := sent{key: strings.Trim(m.Envelope.MessageID, "<>")}
		if len(m.Envelope.From) > 0 {
			s.from = strings.ToLower(m.Envelope.From[0].Addr())
		}
		out[m.UID] = s
	}
	return out, nil
}

// fetchAll is the anchor's work: list the new messages as the bot does,
// then fetch their whole bodies batch UIDs at a time, with no processing.
// It returns how many messages and bytes arrived.
func fetchAll(c *imapclient.Client, batch int) (int, int64, error) {
	var set imap.UIDSet
	set.AddRange(1, 0)
	metas, err := c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true, InternalDate: true}).Collect()
	if err != nil {
		return 0, 0, fmt.Errorf("list messages: %w", err)
	}
	whole := &imap.FetchItemBodySection{Peek: true}
	n, size := 0, int64(0)
	for len(metas) > 0 {
		k := min(batch, len(metas))
		var uids imap.UIDSet
		for _, m := range metas[:k] {
			uids.AddNum(m.UID)
		}
		metas = metas[k:]
		msgs, err := c.Fetch(uids, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{whole}}).Collect()
		if err != nil {
			return n, size, fmt.Errorf("fetch %v: %w", uids, err)
		}
		for _, m := range msgs {
			body := m.FindBodySection(whole)
			if len(body) == 0 {
				return n, size, fmt.Errorf("message %d came without its body", m.UID)
			}
			n++
			size += int64(len(body))
		}
	}
	return n, size, nil
}
