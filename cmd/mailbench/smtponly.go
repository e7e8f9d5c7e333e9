package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/betterdays/mailbot/mailbot"
)

// smtpOnly is the floor the newsletter stands on: the bot's own SMTP sender
// (go-smtp, with the outbox's write batching), over the same connections,
// sending one fixed message again and again, with no database, no copy to
// make and no outcome to record. Beside smtp-source it says how much of
// the gap is the SMTP client itself, which no change to the bot can close.
func smtpOnly(ctx context.Context, e *env, args []string) (result, error) {
	fs := flag.NewFlagSet("smtponly", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var com common
	com.register(fs)
	n := fs.Int("n", 20000, "messages to send")
	smtpAddr := fs.String("smtp", "", "where they go, host:port or smtp://user@host:port (password in MAILBOT_SMTP_PASSWORD)")
	conns := fs.Int("conns", 0, "SMTP connections (default: MAILBOT_SMTP_CONNECTIONS, else the bot's default)")
	size := fs.Int("size", 11631, "bytes per message, header included")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *smtpAddr == "" {
		return nil, errors.New("-smtp is required: the floor is measured against a real server")
	}
	if *n < 1 || *size < 200 {
		return nil, errors.New("-n must be 1 or more and -size 200 or more")
	}
	set := map[string]string{
		"MAILBOT_SMTP": smtpURL(*smtpAddr), "MAILBOT_IMAP": "imap://mailbench@127.0.0.1:1",
		"MAILBOT_ADDRESS": "bench@example.test", "MAILBOT_DB": "unused.db",
	}
	if *conns > 0 {
		set["MAILBOT_SMTP_CONNECTIONS"] = fmt.Sprint(*conns)
	}
	cfg, err := mailbot.FromEnv(func(k string) string {
		if v, ok := set[k]; ok {
			return v
		}
		return e.getenv(k)
	})
	if err != nil {
		return nil, err
	}
	msg := fixedMessage(*size)
	log := slog.New(slog.DiscardHandler)

	stopProfile, err := startCPUProfile(com.cpuProfile)
	if err != nil {
		return nil, err
	}
	e.progress("sending %d messages of %d bytes over %d connections to %s, nothing else", *n, len(msg), cfg.Connections, cfg.SMTP.Host)
	var sent atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, cfg.Connections)
	start, cpu0 := time.Now(), cpuTime()
	for c := range cfg.Connections {
		wg.Go(func() {
			s := mailbot.NewSMTPSender(cfg.SMTP, "example.test", log)
			defer s.Close()
			for i := c; i < *n; i += cfg.Connections {
				if err := s.Send(ctx, "bench@example.test", "sink@example.test", msg); err != nil {
					errs <- fmt.Errorf("message %d: %w", i, err)
					return
				}
				sent.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	stopProfile()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	var r result
	r.add("sent", "%d", sent.Load())
	r.add("seconds", "%.3f", elapsed.Seconds())
	r.add("rate", "%.1f/s", float64(sent.Load())/elapsed.Seconds())
	r.add("bytes", "%d", len(msg))
	r.add("conns", "%d", cfg.Connections)
	r.add("cpu_us", "%.0f", float64(cpu.Microseconds())/float64(max(sent.Load(), 1)))
	return r, nil
}

// fixedMessage is a plain message of size bytes: a header, then lines of
// 76 characters, as quoted-printable newsletter text is.
func fixedMessage(size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: bench@example.test\r\nTo: sink@example.test\r\nSubject: floor\r\nMessage-ID: <floor@example.test>\r\n\r\n")
	line := []byte("Better Days: a line of a newsletter copy, as long as quoted-printable allows.\r\n")
	for b.Len()+len(line) <= size {
		b.Write(line)
	}
	if r := size - b.Len(); r >= 2 {
		b.Write(bytes.Repeat([]byte("x"), r-2))
		b.WriteString("\r\n")
	}
	return b.Bytes()
}
