package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/betterdays/mailbot/mailbot/mailserver"
	"github.com/betterdays/mailbot/mailbot/mailtest"
)

// The scenarios' numbers depend on the machine, so these tests check only
// that each still runs and still does all its work correctly: every letter
// handled, flagged and answered, every reply arrived. bench/run.sh --smoke
// runs them at a larger size against Dovecot and smtp-sink.

// mailbench runs one scenario in-process and returns its result line.
func mailbench(t *testing.T, args ...string) map[string]string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := map[string]string{}
	if code := run(context.Background(), args, func(k string) string { return env[k] }, &stdout, &stderr); code != 0 {
		t.Fatalf("mailbench %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	got := map[string]string{}
	for _, f := range strings.Fields(lines[len(lines)-1]) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			t.Fatalf("result line %q: %q is not key=value", lines[len(lines)-1], f)
		}
		got[k] = v
	}
	return got
}

func want(t *testing.T, got map[string]string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if got[k] == "" {
			t.Errorf("result has no %s: %v", k, got)
		}
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	got := mailbench(t, "latency", "-n", "5")
	want(t, got, "p50_ms", "p90_ms", "p99_ms", "max_ms")
	if got["n"] != "5" {
		t.Errorf("n = %s, want 5 replies timed", got["n"])
	}
}

func TestInboundEmbedded(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"run", "once"} {
		t.Run(mode, func(t *testing.T) {
			got := mailbench(t, "inbound", "-n", "40", "-mode", mode, "-watch", "5ms")
			want(t, got, "seconds", "rate", "peak_rss_mb")
			for k, v := range map[string]string{"handled": "40", "replied": "40", "seen": "40", "order_violations": "0"} {
				if got[k] != v {
					t.Errorf("%s = %s, want %s", k, got[k], v)
				}
			}
		})
	}
}

// TestNewsletter sends to the scenario's own checking sink: every
// subscriber gets one copy, their own, and every copy is recorded as sent.
func TestNewsletter(t *testing.T) {
	t.Parallel()
	got := mailbench(t, "newsletter", "-n", "60", "-conns", "2")
	want(t, got, "seconds", "rate", "peak_rss_mb", "bytes", "cpu_us")
	for k, v := range map[string]string{"sent": "60", "failed": "0", "delivered": "60", "duplicates": "0", "conns": "2"} {
		if got[k] != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
}

// TestIMAPFetch fills an embedded server's mailbox and fetches it back;
// a second run reuses what the first left, as run.sh's inbound does.
func TestIMAPFetch(t *testing.T) {
	t.Parallel()
	ms, err := mailserver.Start(mailserver.Options{SMTPAddr: "127.0.0.1:0", IMAPAddr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	u := (&url.URL{Scheme: "imap", User: url.User("bot@example.test"), Host: ms.IMAPAddr()}).String()
	for range 2 {
		got := mailbench(t, "imapfetch", "-n", "30", "-imap", u, "-batch", "7")
		if got["fetched"] != "30" {
			t.Errorf("fetched = %s, want 30", got["fetched"])
		}
	}
}

// TestSMTPOnly sends to a counting server: every message arrives, each
// of exactly the size asked for.
func TestSMTPOnly(t *testing.T) {
	t.Parallel()
	rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{Domain: "sink.example.test"})
	got := mailbench(t, "smtponly", "-n", "50", "-conns", "2", "-size", "3000", "-smtp", rs.Addr)
	want(t, got, "seconds", "rate", "cpu_us")
	for k, v := range map[string]string{"sent": "50", "bytes": "3000", "conns": "2"} {
		if got[k] != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
	sizes := map[int]int{}
	for _, m := range rs.Accepted() {
		sizes[len(m.Data)]++
	}
	if len(sizes) != 1 || sizes[3000] != 50 {
		t.Errorf("the server got messages of these sizes (size: count): %v; want 50 of 3000 bytes", sizes)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"nonsense"}, func(string) string { return "" }, io.Discard, &stderr); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	for name := range scenarios {
		if !strings.Contains(stderr.String(), name) {
			t.Errorf("usage does not name %s:\n%s", name, stderr.String())
		}
	}
}
