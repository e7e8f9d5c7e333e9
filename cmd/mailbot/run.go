package main

import (
	"context"
	"fmt"
	"net"

	"github.com/betterdays/mailbot/mailbot"
)

func runCmd(ctx context.Context, e *env, args []string) error {
	fs := e.flags("run")
	once := fs.Bool("once", false, "handle every message waiting, send everything due, then exit")
	replaySeen := fs.Bool("replay-seen", false, "handle mail already read (\\Seen) before this database first looked at the mailbox, "+
		"which is otherwise left alone: on that first look, or later for what it left alone")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return wrongArgs("run takes no arguments")
	}
	// A wrong host, port or password is the operator's to fix, not the
	// bot's to retry: say so now, while someone is watching, and before
	// anything is set up.
	var ln net.Listener
	if !*once {
		var err error
		if ln, err = net.Listen("tcp", e.cfg.HTTP); err != nil {
			return fmt.Errorf("web endpoint (MAILBOT_HTTP): %w", err)
		}
		defer ln.Close()
	}
	if err := mailbot.CheckServers(ctx, e.cfg); err != nil {
		return err
	}
	svc, err := mailbot.NewService(ctx, e.cfg, mailbot.SystemClock, e.log)
	if err != nil {
		return err
	}
	defer svc.Close()
	svc.Inbox.ReplaySeen = *replaySeen
	if *once {
		return svc.Once(ctx)
	}
	if svc.Mail != nil {
		printTryIt(e, svc.Config)
	}
	if err := svc.Run(ctx, ln); err != nil {
		return err
	}
	e.log.Info("stopped cleanly")
	return nil
}

// printTryIt tells a person trying the bot how to talk to it.
func printTryIt(e *env, cfg mailbot.Config) {
	fmt.Fprintf(e.stdout, `Better Days mailbot is running with its own mail server, for trying it out.
  Send mail:  SMTP %[1]s, no password, to %[3]s
  Read mail:  IMAP %[2]s, log in as any address with any password: each address has its own mailbox
  Mail is kept in memory only, until the bot stops.
Try it (the reply lands in you@example.org's mailbox a moment later):
  printf 'From: you@example.org\r\nTo: %[3]s\r\nSubject: help\r\n\r\nhelp\r\n' | curl -sS smtp://%[1]s --mail-from you@example.org --mail-rcpt %[3]s -T -
  sleep 2; curl -sS 'imap://%[2]s/INBOX;UID=1' -u you@example.org:any
`, cfg.SMTP.Host, cfg.IMAP.Host, cfg.Address)
}
