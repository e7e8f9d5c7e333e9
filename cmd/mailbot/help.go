package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
)

// usageError is a command line that is wrong: run says what, shows the
// command's usage and exits 2.
type usageError struct{ msg string }

func (u *usageError) Error() string { return u.msg }

// wrongArgs is the usageError for positional arguments that do not fit.
func wrongArgs(what string) error { return &usageError{what} }

// flags makes the command's flag set. It prints nothing: run shows help
// on standard output (it was asked for) and mistakes on standard error.
func (e *env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	e.fs = fs
	return fs
}

// parse reads args into fs: flag.ErrHelp for -h or --help, a
// *usageError for a mistake.
func parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &usageError{err.Error()}
}

func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

// wantsHelp reports whether a command's arguments ask for its help: any
// -h or --help before a "--", so that `sessions import --help` shows help
// and opens no file called --help.
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a != "help" && isHelp(a) {
			return true
		}
	}
	return false
}

// help prints the list of commands, or one command's usage, what it does
// and its flags, on standard output.
func help(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return 0
	}
	name, rest, ok := lookup(args)
	if !ok || len(rest) > 0 {
		unknown(args, stderr)
		return 2
	}
	c := commands[name]
	// The command makes its flag set and, given only -h, returns before
	// it reads any configuration or opens anything.
	e := &env{stdout: io.Discard, stderr: io.Discard}
	if err := c.run(context.Background(), e, []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stderr, "mailbot %s: no help (%v)\n", name, err)
		return 1
	}
	fmt.Fprintf(stdout, "usage: mailbot %s\n\n%s.\n", c.usage, capitalise(c.help))
	var n int
	e.fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(stdout, "\nflags:")
		e.fs.SetOutput(stdout)
		e.fs.PrintDefaults()
	}
	fmt.Fprintln(stdout, "\nConfiguration is read from MAILBOT_* environment variables: see README.md.")
	return 0
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
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
	fmt.Fprintln(w, "`mailbot help COMMAND` or `mailbot COMMAND --help` says more about one.")
	fmt.Fprintln(w, "Configuration is read from MAILBOT_* environment variables: see README.md.")
}

// unknown says a command is not one, naming the nearest that is.
func unknown(args []string, w io.Writer) {
	typed := strings.Join(args[:min(len(args), 2)], " ")
	fmt.Fprintf(w, "mailbot: unknown command %q", typed)
	if near := nearest(args); near != "" {
		fmt.Fprintf(w, "; did you mean %q?", near)
	}
	fmt.Fprintln(w, "\nRun `mailbot help` for the list.")
}

// nearest is the command name closest to what was typed, by edits to
// its one or two words, or "" when none is close enough to be a typo.
func nearest(args []string) string {
	best, bestD := "", 3 // a typo is one or two slips
	for name := range commands {
		words := len(strings.Fields(name))
		if words > len(args) {
			continue
		}
		typed := strings.Join(args[:words], " ")
		d := editDistance(strings.ToLower(typed), name)
		if d < bestD || (d == bestD && name < best) {
			best, bestD = name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes:
// command names are ASCII.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
