package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// signalContext is cancelled by the first SIGINT or SIGTERM, which asks
// every part to finish the work in hand and stop; a second one exits at
// once.
func signalContext(log *slog.Logger) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case sig := <-ch:
			log.Info("stopping: finishing the work in hand (signal again to stop at once)", "signal", sig.String())
			cancel()
		case <-ctx.Done():
			return
		}
		if sig, ok := <-ch; ok {
			log.Warn("stopping at once", "signal", sig.String())
			os.Exit(1)
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel()
	}
}
