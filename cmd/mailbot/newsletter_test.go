package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/store"
)

// TestNewsletterResume: the operator's way out of a pause the bot made
// when mail servers refused the council's mail.
func TestNewsletterResume(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "mailbot.db")
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.PauseBulk(ctx, "mail to 5 people refused for reasons of ours", time.Now())
		return err
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MAILBOT_DB": db}
	for _, want := range []string{"list mail resumed: it had been paused since", "list mail was not paused"} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"newsletter", "resume"}, func(k string) string { return env[k] }, &stdout, &stderr); code != 0 {
			t.Fatalf("newsletter resume: exit %d; stderr:\n%s", code, stderr.String())
		}
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("newsletter resume said %q, want %q", stdout.String(), want)
		}
	}
}
