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
	"strings"
	_ "time/tzdata" // a minimal machine (a container, a bare Debian) may have no zoneinfo; MAILBOT_TZ must still load

	"github.com/betterdays/mailbot/mailbot"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// command is one entry of the command table: the words that name it, a
// line of help, and what it does with the rest of the arguments. Every
// command parses its arguments with env.flags first, before it touches
// anything, so --help works on each.
type command struct {
	usage string
	help  string
	run   func(ctx context.Context, env *env, args []string) error
}

var commands = map[string]command{
	"run":                {"run [--once] [--replay-seen]", "the daemon: read mail, answer it, send what is due", runCmd},
	"sessions import":    {"sessions import FILE.csv", "add or update sessions and drop-in slots", sessionsImport},
	"sessions list":      {"sessions list", "upcoming sessions with places left", sessionsList},
	"bookings export":    {"bookings export [--session ID] [--excel]", "bookings as CSV on standard output", bookingsExport},
	"subscribers export": {"subscribers export [--excel] [--evidence]", "the mailing list as CSV on standard output; --evidence adds how each consent was given", subscribersExport},
	"subscribers import": {"subscribers import FILE.csv [--ask]", "bring in a mailing list kept before: email,name,consented_at,source", subscribersImport},
	"sessions cancel":    {"sessions cancel ID [--reason TEXT]", "withdraw a session: everyone booked or waiting is told, with what else is on", sessionsCancel},
	"bookings add":       {"bookings add --session ID --name NAME [--email E] [--phone P] [--places N] [--needs TEXT]", "a booking taken by phone or in person; with no email, staff get what the person would have got", bookingsAdd},
	"newsletter send": {"newsletter send --subject S --file BODY.md [--dry-run]",
		"send a newsletter to the mailing list; run again to resume", newsletterSend},
	"newsletter resume": {"newsletter resume",
		"send list mail again after the bot paused it because mail servers refused the council's email", newsletterResume},
	"forget":  {"forget EMAIL", "erase a person's details (UK GDPR); their bookings still count", forget},
	"export":  {"export EMAIL", "everything held about one person, as JSON (a UK GDPR subject-access request)", export},
	"backup":  {"backup FILE", "a consistent copy of the database, made while the bot runs", backup},
	"version": {"version", "the version of this mailbot and the database schema it writes", version},
	"contributions export": {"contributions export [--named-only]",
		"the views people sent that they agreed may be used, as CSV", contributionsExport},
}

// env is what every command gets: configuration, logger and output.
type env struct {
	cfg    mailbot.Config
	log    *slog.Logger
	stdout io.Writer
	stderr io.Writer
	fs     *flag.FlagSet // the command's, once it has made it (for help)
}

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is the whole program. Exit codes: 0 done (help included), 1 failed,
// 2 the command line is wrong.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if isHelp(args[0]) {
		return help(args[1:], stdout, stderr)
	}
	name, rest, ok := lookup(args)
	if !ok {
		unknown(args, stderr)
		return 2
	}
	if wantsHelp(rest) {
		return help([]string{name}, stdout, stderr)
	}
	log, err := newLogger(getenv("MAILBOT_LOG"), stderr)
	if err == nil {
		var cfg mailbot.Config
		// version must answer even where the configuration is wrong:
		// it is what a bug report starts with.
		if name != "version" {
			cfg, err = mailbot.FromEnv(getenv)
		}
		if err == nil {
			ctx, stop := signalContext(log)
			defer stop()
			err = commands[name].run(ctx, &env{cfg: cfg, log: log, stdout: stdout, stderr: stderr}, rest)
		}
	}
	var bad *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &bad):
		fmt.Fprintf(stderr, "mailbot %s: %v\nusage: mailbot %s\n(mailbot help %s says more)\n", name, err, commands[name].usage, name)
		return 2
	default:
		fmt.Fprintf(stderr, "mailbot %s: %v\n", name, err)
		return 1
	}
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

// newLogger reads MAILBOT_LOG: a level (debug, info, warn, error) and
// json for one JSON object a line, for log pipelines, in either order
// ("json,debug").
func newLogger(setting string, w io.Writer) (*slog.Logger, error) {
	level, json := slog.LevelInfo, false
	for _, f := range strings.Split(setting, ",") {
		switch f = strings.ToLower(strings.TrimSpace(f)); f {
		case "":
		case "json":
			json = true
		case "text":
			json = false
		default:
			if err := level.UnmarshalText([]byte(f)); err != nil {
				return nil, fmt.Errorf("configuration: MAILBOT_LOG: %q: want debug, info, warn or error, and json for JSON lines", f)
			}
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	if json {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// openStore opens the bot's database, which must exist: a command run
// in the wrong folder would otherwise make an empty one there and report
// that nobody booked. Only `run` and `sessions import` make a new one.
func openStore(ctx context.Context, e *env) (*store.Store, error) {
	if _, err := os.Stat(e.cfg.DB); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no database at %s (MAILBOT_DB, or ./mailbot.db in the folder you are in): "+
			"run this where the bot runs, or set MAILBOT_DB to its database; `mailbot run` or `mailbot sessions import` makes a new one", absPath(e.cfg.DB))
	}
	return openDB(ctx, e)
}

// openDB opens the database as configured; openStore first checks it is
// there.
func openDB(ctx context.Context, e *env) (*store.Store, error) {
	st, err := store.Open(ctx, e.cfg.DB)
	if err == nil {
		st.SetCheckpoint(e.cfg.Checkpoint)
	}
	return st, err
}

// openBot opens the database and the bot on it, for commands that queue
// mail: what they queue, a running `mailbot run` sends. With create the
// database is made if it is not there. The caller closes the store.
func openBot(ctx context.Context, e *env, create bool) (*store.Store, *mailbot.Bot, error) {
	open := openStore
	if create {
		open = openDB
	}
	st, err := open(ctx, e)
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
