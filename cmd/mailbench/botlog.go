package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// botLog is the logger handed to the bot. It writes what `mailbot run`
// would write, to a file rather than over the benchmark's progress, and
// notes when each person's message was handled (committed) and when their
// reply was sent (the server's 250), from the bot's own "handled" and "sent"
// lines: that splits a latency into its stages without touching the bot.
type botLog struct {
	file *os.File
	log  *slog.Logger

	mu      sync.Mutex
	handled map[string]time.Time // by sender
	sent    map[string]time.Time // by recipient
	count   counts
}

// counts are the bot's "handled" and "sent" lines so far, and the replies
// the handled ones queued.
type counts struct {
	handled, replies, sent int
}

func newBotLog(dir string) (*botLog, error) {
	f, err := os.Create(filepath.Join(dir, "mailbot.log"))
	if err != nil {
		return nil, fmt.Errorf("bot log: %w", err)
	}
	bl := &botLog{file: f, handled: map[string]time.Time{}, sent: map[string]time.Time{}}
	bl.log = slog.New(&markHandler{next: slog.NewTextHandler(f, nil), bl: bl})
	return bl, nil
}

func (bl *botLog) Close() error { return bl.file.Close() }

// times returns when addr's message was handled and its reply sent, zero
// where the bot has not said so.
func (bl *botLog) times(addr string) (handled, sent time.Time) {
	bl.mu.Lock()
	defer bl.mu.Unlock()
	return bl.handled[addr], bl.sent[addr]
}

// counts returns how far the bot says it has got.
func (bl *botLog) counts() counts {
	bl.mu.Lock()
	defer bl.mu.Unlock()
	return bl.count
}

func (bl *botLog) mark(msg string, at time.Time, attrs []slog.Attr) {
	var m map[string]time.Time
	var key string
	bl.mu.Lock()
	defer bl.mu.Unlock()
	switch msg {
	case "handled":
		m, key = bl.handled, "from"
		bl.count.handled++
	case "sent":
		m, key = bl.sent, "to"
		bl.count.sent++
	default:
		return
	}
	for _, a := range attrs {
		switch a.Key {
		case key:
			m[strings.ToLower(a.Value.String())] = at
		case "replies":
			bl.count.replies += int(a.Value.Int64())
		}
	}
}

// markHandler passes every record on and tells botLog of the ones it marks.
type markHandler struct {
	next  slog.Handler
	bl    *botLog
	attrs []slog.Attr
}

func (h *markHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *markHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "handled" || r.Message == "sent" {
		attrs := append([]slog.Attr(nil), h.attrs...)
		r.Attrs(func(a slog.Attr) bool { attrs = append(attrs, a); return true })
		h.bl.mark(r.Message, r.Time, attrs)
	}
	return h.next.Handle(ctx, r)
}

func (h *markHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &markHandler{next: h.next.WithAttrs(attrs), bl: h.bl, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

// WithGroup would qualify later keys; the bot's "from" and "to" are never
// grouped, so the marks ignore groups.
func (h *markHandler) WithGroup(name string) slog.Handler {
	return &markHandler{next: h.next.WithGroup(name), bl: h.bl, attrs: h.attrs}
}

var _ slog.Handler = (*markHandler)(nil)
