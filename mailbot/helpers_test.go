package mailbot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailserver"
	"github.com/betterdays/mailbot/mailbot/mailtest"
)

const botAddress = "betterdays@localhost"

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startMailServer starts an embedded mail server for one test.
func startMailServer(t *testing.T) *mailserver.Server {
	t.Helper()
	ms, err := mailserver.Start(mailserver.Options{SMTPAddr: "127.0.0.1:0", IMAPAddr: "127.0.0.1:0", Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ms.Close() })
	return ms
}

// e2eConfig is the operator's configuration for a bot talking to ms as if
// it were the organisation's own mail server, with a database in dir.
func e2eConfig(t *testing.T, ms *mailserver.Server, dir string, extra map[string]string) Config {
	t.Helper()
	return embedded(ms).config(t, dir, extra)
}

// startBot runs the whole bot until the returned stop is called (or the
// test ends).
func startBot(t *testing.T, cfg Config) (*Service, func()) {
	t.Helper()
	svc, err := NewService(context.Background(), cfg, SystemClock, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx, nil) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("bot did not stop within 10s of cancel")
			}
			svc.Close()
		})
	}
	t.Cleanup(stop)
	mailtest.WaitFor(t, "inbox to connect", func() bool { return svc.Inbox.Status().Connected })
	return svc, stop
}

// message builds a simple message from a person.
func message(from, subject, msgID, text string) string {
	return fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: Mon, 21 Jun 2027 09:00:00 +0100\r\n\r\n%s\r\n",
		from, botAddress, subject, msgID, text)
}
