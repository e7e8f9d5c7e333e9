package mailbot

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// dialIMAP connects and logs in: implicit TLS for imaps, STARTTLS whenever
// the server offers it, and no password or token over plaintext except on
// loopback. With a token command it logs in by OAUTHBEARER or XOAUTH2 and
// never with a password.
func dialIMAP(ctx context.Context, ep Endpoint, opts imapclient.Options) (*imapclient.Client, error) {
	host, _, _ := net.SplitHostPort(ep.Host)
	opts.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	c, err := openIMAP(ctx, ep, &opts, false)
	if err != nil {
		return nil, err
	}
	if !ep.TLS {
		// go-imap can only start TLS on a fresh client, so a server seen to
		// offer STARTTLS is dialled again to use it.
		if c.Caps().Has(imap.CapStartTLS) {
			c.Close()
			if c, err = openIMAP(ctx, ep, &opts, true); err != nil {
				return nil, err
			}
		} else if !ep.Loopback() {
			c.Close()
			return nil, fmt.Errorf("IMAP %s offers no STARTTLS: refusing to send %s unencrypted (use imaps:// or a server with STARTTLS)", ep.Host, ep.secretName())
		}
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if ep.TokenCmd != "" {
		err = loginIMAPToken(ctx, c, ep)
	} else {
		err = c.Login(ep.User, ep.Password).Wait()
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("IMAP %s: log in as %s: %w", ep.Host, ep.User, err)
	}
	return c, nil
}

// loginIMAPToken authenticates with an access token (RFC 7628 section 3.2 for
// OAUTHBEARER; XOAUTH2 is the same exchange). A NO is the server refusing
// the token: RFC 5530's AUTHENTICATIONFAILED, or a bare NO from servers
// that give no code.
func loginIMAPToken(ctx context.Context, c *imapclient.Client, ep Endpoint) error {
	caps := c.Caps()
	mech, ok := oauthMech(func(m string) bool { return caps.Has(imap.AuthCap(m)) })
	if !ok {
		return fmt.Errorf("the server offers neither AUTH=OAUTHBEARER nor AUTH=XOAUTH2, and with MAILBOT_IMAP_TOKEN_CMD set the bot logs in with a token only (offered: %s)", strings.Join(caps.AuthMechanisms(), " "))
	}
	return oauthLogin(ctx, ep.tokenSource("MAILBOT_IMAP_TOKEN_CMD"), mech, ep.User, ep.Host, c.Authenticate, func(err error) bool {
		var ie *imap.Error
		return errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo
	})
}

func openIMAP(ctx context.Context, ep Endpoint, opts *imapclient.Options, startTLS bool) (*imapclient.Client, error) {
	dialer := &net.Dialer{Timeout: 30 * time.Second}
	var conn net.Conn
	var err error
	if ep.TLS {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: opts.TLSConfig}).DialContext(ctx, "tcp", ep.Host)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", ep.Host)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to IMAP server %s: %w", ep.Host, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if startTLS {
		c, err := imapclient.NewStartTLS(conn, opts)
		if err != nil {
			return nil, fmt.Errorf("IMAP %s: STARTTLS: %w", ep.Host, err)
		}
		return c, nil
	}
	c := imapclient.New(conn, opts)
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, fmt.Errorf("IMAP %s: greeting: %w", ep.Host, err)
	}
	return c, nil
}
