package main

import (
	"context"
	"fmt"
	"os"
)

// backup copies the database to a new file, consistent, while the bot
// may be running (store.Backup), and says how big the copy is.
func backup(ctx context.Context, e *env, args []string) error {
	fs := e.flags("backup")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return wrongArgs("want the file to write the copy to")
	}
	to := fs.Arg(0)
	st, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, to); err != nil {
		return err
	}
	info, err := os.Stat(to)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Copied %s to %s (%d KB, checked sound). It holds personal data: keep it as safe as the database.\n",
		absPath(e.cfg.DB), absPath(to), (info.Size()+1023)/1024)
	return nil
}
