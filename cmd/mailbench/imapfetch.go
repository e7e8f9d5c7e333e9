package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"
)

// imapFetch is the anchor for inbound: the fastest the bot could possibly
// read its backlog from this server, with one connection, the bot's batch
// size and no processing at all. It fills an empty mailbox with the same
// letters inbound uses (not timed), so the two read the same mail.
func imapFetch(ctx context.Context, e *env, args []string) (result, error) {
	fs := flag.NewFlagSet("imapfetch", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var com common
	com.register(fs)
	n := fs.Int("n", 10000, "messages to fetch")
	imapURL := fs.String("imap", "", "the mailbox, imap://user@host:port (password in MAILBOT_IMAP_PASSWORD)")
	batch := fs.Int("batch", 50, "messages per UID FETCH, as the bot's inbox asks for")
	address := fs.String("address", "", "the address the letters are sent to (default: the IMAP user, or betterdays@localhost)")
	clear := fs.Bool("clear", false, "delete whatever is in INBOX first")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *imapURL == "" {
		return nil, errors.New("-imap is required: the anchor reads a real server's mailbox")
	}
	if *n < 1 || *batch < 1 {
		return nil, errors.New("-n and -batch must be 1 or more")
	}
	mb, err := parseMailbox(*imapURL, e.getenv)
	if err != nil {
		return nil, err
	}
	to := botAddress(*address, mb.user, e.getenv)
	if err := prepare(ctx, e, mb, *n, to, *clear, false); err != nil {
		return nil, err
	}

	c, _, err := mb.dial(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stopProfile, err := startCPUProfile(com.cpuProfile)
	if err != nil {
		return nil, err
	}
	e.progress("fetching %d messages, %d per UID FETCH", *n, *batch)
	start := time.Now()
	got, size, err := fetchAll(c, *batch)
	elapsed := time.Since(start)
	stopProfile()
	if err != nil {
		return nil, err
	}
	if got != *n {
		return nil, fmt.Errorf("fetched %d messages, want %d", got, *n)
	}
	c.Logout().Wait()
	var r result
	r.add("fetched", "%d", got)
	r.add("seconds", "%.3f", elapsed.Seconds())
	r.add("rate", "%s/s", rate(got, elapsed))
	r.add("mb", "%.1f", float64(size)/(1<<20))
	return r, nil
}
