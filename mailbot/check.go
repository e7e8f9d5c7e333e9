package mailbot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"
)

// checkTimeout bounds the start-up check of both servers: long enough for
// a slow TLS handshake and a token command, short enough that an operator
// waiting at a prompt hears back.
const checkTimeout = time.Minute

// CheckServers connects to the configured IMAP and SMTP servers and logs
// in to each exactly as the bot will, so that a mistake in the
// configuration — a wrong host or port, a wrong password, a server that
// will not encrypt — stops the bot at start with the reason, instead of
// becoming retries in a log nobody reads. Once running, the same failures
// are retried: a server that goes away later is expected to come back.
// The embedded server has nothing to check. The error is one line, naming
// the variables to look at.
func CheckServers(ctx context.Context, cfg Config) error {
	if cfg.Embedded {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	var problems []string
	if err := checkIMAP(ctx, cfg.IMAP); err != nil {
		problems = append(problems, fmt.Sprintf("%v (check MAILBOT_IMAP%s)", err, loginHint(err, "IMAP", cfg.IMAP)))
	}
	_, domain, _ := strings.Cut(cfg.Address, "@")
	if err := checkSMTP(ctx, cfg.SMTP, domain); err != nil {
		problems = append(problems, fmt.Sprintf("%v (check MAILBOT_SMTP%s)", err, loginHint(err, "SMTP", cfg.SMTP)))
	}
	if len(problems) > 0 {
		return fmt.Errorf("mail server check failed: %s", oneLine(strings.Join(problems, "; ")))
	}
	return nil
}

// checkIMAP logs in and opens INBOX read-only, which is all the inbox
// needs to start.
func checkIMAP(ctx context.Context, ep Endpoint) error {
	c, err := dialIMAP(ctx, ep, imapclient.Options{})
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if _, err := c.Select(inboxName, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return fmt.Errorf("IMAP %s: open %s: %w", ep.Host, inboxName, err)
	}
	return c.Logout().Wait()
}

// checkSMTP says hello, starts TLS and logs in, then quits without sending.
func checkSMTP(ctx context.Context, ep Endpoint, helo string) error {
	c, _, err := dialSMTP(ctx, ep, helo)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.Quit(); err != nil {
		c.Close()
	}
	return nil
}

// loginHint names the secret to look at when the server refused to log
// us in: an IMAP NO, or SMTP's 535 (RFC 4954 section 6).
func loginHint(err error, server string, ep Endpoint) string {
	var ie *imap.Error
	var se *smtp.SMTPError
	refused := errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo ||
		errors.As(err, &se) && (se.Code == 535 || se.Code == 534)
	if !refused || !strings.Contains(err.Error(), "log in as") {
		return ""
	}
	if ep.TokenCmd != "" {
		return fmt.Sprintf("'s user name and MAILBOT_%s_TOKEN_CMD", server)
	}
	return fmt.Sprintf("'s user name and MAILBOT_%s_PASSWORD", server)
}

// oneLine folds a server's multi-line answer into the single line an
// operator's terminal or journal shows.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
