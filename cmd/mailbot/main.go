// Command mailbot is the Better Days email bot: see README.md, and
// ../shared/PRODUCT.md for the operator contract.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/betterdays/mailbot/mailbot"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// command is one entry of the command table: the words that name it, a
// line of help, and what it does with the rest of the arguments.
type command struct {
	usage string
	help  string
	run   func(ctx context.Context, env *env, args []string) error
}

var commands = map[string]command{
	"run":                {"run [--once] [--replay-seen]", "the daemon: read mail, answer it, send what is due", runCmd},
	"sessions import":    {"sessions import FILE.csv", "add or update sessions and drop-in slots", sessionsImport},
	"sessions list":      {"sessions list", "upcoming sessions with places left", sessionsList},
	"sessions cancel":    {"sessions cancel ID [--reason TEXT]", "withdraw a session: everyone booked or waiting is told, with what else is on", sessionsCancel},
	"bookings export":    {"bookings export [--session ID]", "bookings as CSV on standard output", bookingsExport},
	"bookings add":       {"bookings add --session ID --name NAME [--email E] [--phone P] [--places N] [--needs TEXT]", "a booking taken by phone or in person; with no email, staff get what the person would have got", bookingsAdd},
	"subscribers export": {"subscribers export", "the mailing list as CSV on standard output", subscribersExport},
	"newsletter send": {"newsletter send --subject S --file BODY.md [--dry-run]",
		"send a newsletter to the mailing list; run again to resume", newsletterSend},
	"newsletter resume": {"newsletter resume",
		"send list mail again after the bot paused it because mail servers refused the council's email", newsletterResume},
	"forget": {"forget EMAIL", "erase a person's details (UK GDPR); their bookings still count", forget},
	"contributions export": {"contributions export [--named-only]",
		"the views people sent that they agreed may be used, as CSV", contributionsExport},
}

// env is what every command gets: configuration, logger and output.
type env struct {
	cfg    mailbot.Config
	log    *slog.Logger
	stdout io.Writer
	stderr io.Writer
}

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	name, rest, ok := lookup(args)
	if !ok {
		usage(stderr)
		return 2
	}
	level := slog.LevelInfo
	if strings.EqualFold(getenv("MAILBOT_LOG"), "debug") {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg, err := mailbot.FromEnv(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "mailbot: %v\n", err)
		return 1
	}
	ctx, stop := signalContext(log)
	defer stop()
	err = commands[name].run(ctx, &env{cfg: cfg, log: log, stdout: stdout, stderr: stderr}, rest)
	if errors.Is(err, flag.ErrHelp) {
		return 0 // the flag set has printed the command's help
	}
	if err != nil {
		fmt.Fprintf(stderr, "mailbot %s: %v\n", name, err)
		return 1
	}
	return 0
}

// lookup finds the longest command name that args start with.
func lookup(args []string) (string, []string, bool) {
	for n := min(len(args), 2); n > 0; n-- {
		name := strings.Join(args[:n], " ")
		if _, ok := commands[name]; ok {
			return name, args[n:], true
		}
	}
	return "", nil, false
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: mailbot COMMAND [ARGS]")
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  mailbot %-28s %s\n", commands[n].usage, commands[n].help)
	}
	fmt.Fprintln(w, "Configuration is read from MAILBOT_* environment variables: see README.md.")
}

// openBot opens the database and the bot on it, for commands that queue
// mail: what they queue, a running `mailbot run` sends. The caller closes
// the store.
func openBot(ctx context.Context, e *env) (*store.Store, *mailbot.Bot, error) {
	st, err := store.Open(ctx, e.cfg.DB)
	if err != nil {
		return nil, nil, err
	}
	tpl, err := templates.Load()
	if err == nil {
		var bot *mailbot.Bot
		if bot, err = mailbot.NewBot(e.cfg, st, tpl, mailbot.SystemClock, e.log, nil); err == nil {
			return st, bot, nil
		}
	}
	st.Close()
	return nil, nil, err
}
