package main

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot"
)

// startBot wires the bot exactly as `mailbot run` does (mailbot.NewService),
// from the operator's MAILBOT_* environment with the benchmark's settings
// on top, and a fresh database in dir. With no MAILBOT_IMAP in set it runs
// on its embedded mail server, on ports the system picks. The demo
// timetable is loaded either way, so there is something to book.
//
// Sending limits are off unless the environment sets them: they exist for
// the provider's sake (Microsoft 365 allows 30 a minute), and with them on
// every scenario would measure the limit, not the bot.
func startBot(ctx context.Context, dir string, set map[string]string, getenv func(string) string, bl *botLog) (*mailbot.Service, error) {
	set["MAILBOT_DB"] = filepath.Join(dir, "mailbot.db")
	for _, k := range []string{"MAILBOT_SEND_PER_MINUTE", "MAILBOT_SEND_PER_DAY"} {
		if getenv(k) == "" {
			set[k] = "0"
		}
	}
	cfg, err := mailbot.FromEnv(func(k string) string {
		if v, ok := set[k]; ok {
			return v
		}
		return getenv(k)
	})
	if err != nil {
		return nil, err
	}
	if cfg.Embedded {
		cfg.SMTP.Host, cfg.IMAP.Host = "127.0.0.1:0", "127.0.0.1:0"
	}
	svc, err := mailbot.NewService(ctx, cfg, mailbot.SystemClock, bl.log)
	if err != nil {
		return nil, err
	}
	if _, err := mailbot.LoadDemoTimetable(ctx, svc.Store, cfg.TZ, time.Now()); err != nil {
		svc.Close()
		return nil, err
	}
	return svc, nil
}

// botMailbox is the bot's own mailbox, for filling and checking it.
func botMailbox(svc *mailbot.Service) mailbox {
	ep := svc.Config.IMAP
	return mailbox{host: ep.Host, tls: ep.TLS, user: ep.User, password: ep.Password}
}

// botAddress is the project address the letters go to: -address, else
// MAILBOT_ADDRESS, else the IMAP user when it is an address.
func botAddress(flagValue, imapUser string, getenv func(string) string) string {
	switch {
	case flagValue != "":
		return flagValue
	case getenv("MAILBOT_ADDRESS") != "":
		return getenv("MAILBOT_ADDRESS")
	case strings.Contains(imapUser, "@"):
		return imapUser
	}
	return "betterdays@localhost"
}

// smtpURL accepts host:port as well as the smtp:// form of MAILBOT_SMTP.
func smtpURL(s string) string {
	if strings.Contains(s, "://") {
		return s
	}
	return "smtp://" + s
}
