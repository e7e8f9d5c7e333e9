package main

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/betterdays/mailbot/store"
)

// version prints what the binary was built from, as Go recorded it: the
// module version, the commit and whether the tree had changes, the Go
// release, and the schema version the database will be brought to.
func version(_ context.Context, e *env, args []string) error {
	fs := e.flags("version")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return wrongArgs("version takes no arguments")
	}
	fmt.Fprintln(e.stdout, versionLine())
	return nil
}

func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return fmt.Sprintf("mailbot (no build information) schema %d", store.SchemaVersion())
	}
	line := "mailbot " + bi.Main.Version
	var rev, when, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = " (with uncommitted changes)"
			}
		}
	}
	if rev != "" {
		line += " commit " + rev[:min(len(rev), 12)] + modified
	}
	if when != "" {
		line += " " + when
	}
	return fmt.Sprintf("%s %s schema %d", line, bi.GoVersion, store.SchemaVersion())
}
