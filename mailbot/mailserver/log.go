package mailserver

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// libLogger routes go-imap's and go-smtp's printf-style logging into slog.
// Almost all of it is a client hanging up or misbehaving, which is noise
// for a test server, so only panics and accept failures rise above Debug.
type libLogger struct {
	log *slog.Logger
	lib string
}

func (l libLogger) Printf(format string, args ...any) { l.emit(fmt.Sprintf(format, args...)) }

func (l libLogger) Println(args ...any) { l.emit(strings.TrimSuffix(fmt.Sprintln(args...), "\n")) }

func (l libLogger) emit(msg string) {
	level := slog.LevelDebug
	if strings.Contains(msg, "panic") || strings.Contains(msg, "accept error") {
		level = slog.LevelWarn
	}
	l.log.Log(context.Background(), level, "embedded mail server: "+msg, "lib", l.lib)
}
