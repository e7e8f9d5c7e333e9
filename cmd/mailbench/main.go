// Command mailbench measures the bot against the limits of the machine it
// runs on. Each scenario drives the real code path — the same Service,
// inbox, handler, store and outbox that `mailbot run` uses — with real SMTP
// and IMAP clients, prints its progress on standard error and, last, one
// line of key=value pairs on standard output for a script to read.
//
//	mailbench latency   -n 200                         time from SMTP 250 to the reply in the sender's mailbox
//	mailbench inbound   -n 10000 -imap URL -smtp ADDR  a backlog through inbox → understand → handle → outbox
//	mailbench imapfetch -n 10000 -imap URL             the anchor for inbound: a plain IMAP client, no processing
//	mailbench newsletter -n 100000 -smtp ADDR -conns 3  a newsletter through the real outbox, throttling off
//	mailbench smtponly  -n 20000 -smtp ADDR            the floor under it: the bot's SMTP sender alone, no database
//
// bench/run.sh runs them beside their anchors (smtp-source into smtp-sink
// for the newsletter, imapfetch against the same Dovecot for inbound) and
// writes bench/RESULTS.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// scenario is one entry of the command table.
type scenario struct {
	usage string
	help  string
	run   func(ctx context.Context, e *env, args []string) (result, error)
}

// scenarios is the command table. A new scenario is one file with its run
// function and one line here.
var scenarios = map[string]scenario{
	"latency":    {"latency [-n 200]", "embedded server: SMTP acceptance to the reply in the sender's mailbox", latency},
	"inbound":    {"inbound [-n 10000] [-imap URL -smtp HOST:PORT]", "a backlog handled by the real inbox, handler and outbox", inbound},
	"imapfetch":  {"imapfetch [-n 10000] -imap URL", "anchor: fetch the same messages with a plain IMAP client", imapFetch},
	"newsletter": {"newsletter [-n 100000] [-smtp HOST:PORT] [-conns C]", "a newsletter to n subscribers through the real outbox", newsletter},
	"smtponly":   {"smtponly [-n 20000] -smtp HOST:PORT [-conns C] [-size B]", "floor: the bot's SMTP sender alone, no database", smtpOnly},
}

// env is what every scenario gets.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// progress reports on standard error; standard output is kept for the one
// result line.
func (e *env) progress(format string, args ...any) {
	fmt.Fprintf(e.stderr, "mailbench: "+format+"\n", args...)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	sc, ok := scenarios[args[0]]
	if !ok {
		usage(stderr)
		return 2
	}
	res, err := sc.run(ctx, &env{getenv: getenv, stdout: stdout, stderr: stderr}, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "mailbench %s: %v\n", args[0], err)
		return 1
	}
	fmt.Fprintln(stdout, res)
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: mailbench SCENARIO [FLAGS]")
	var names []string
	for n := range scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  mailbench %-48s %s\n", scenarios[n].usage, scenarios[n].help)
	}
	fmt.Fprintln(w, "Run `mailbench SCENARIO -h` for its flags; bench/run.sh runs them all beside their anchors.")
}

// result is a scenario's last line: key=value pairs, in order.
type result []field

type field struct{ key, value string }

func (r *result) add(key, format string, args ...any) {
	*r = append(*r, field{key, fmt.Sprintf(format, args...)})
}

func (r result) String() string {
	parts := make([]string, len(r))
	for i, f := range r {
		parts[i] = f.key + "=" + f.value
	}
	return strings.Join(parts, " ")
}

// common is the flags every scenario takes.
type common struct {
	cpuProfile string
	dir        string
	keep       bool
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the timed part to this file")
	fs.StringVar(&c.dir, "dir", "", "where the scenario's database and logs go (default: a new temporary directory)")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (database, bot log) afterwards")
}

// workDir returns the scenario's directory and how to clean it up.
func (c *common) workDir(e *env) (string, func(), error) {
	if c.dir != "" {
		return c.dir, func() {}, os.MkdirAll(c.dir, 0o755)
	}
	dir, err := os.MkdirTemp("", "mailbench-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() {
		if c.keep {
			e.progress("kept %s", dir)
			return
		}
		os.RemoveAll(dir)
	}, nil
}
