package mailbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// web serves the HTTP side: for now the health check that monitoring polls.
type web struct {
	svc *Service
	log *slog.Logger
}

func (w *web) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", w.health)
	return mux
}

type healthReport struct {
	OK             bool      `json:"ok"`
	IMAPConnected  bool      `json:"imap_connected"`
	LastPoll       time.Time `json:"last_poll,omitzero"`
	OutboxQueued   int       `json:"outbox_queued"`
	OutboxFailed   int       `json:"outbox_failed"`
	OldestQueuedAt time.Time `json:"oldest_queued_at,omitzero"`
	OldestQueuedS  float64   `json:"oldest_queued_seconds"`
}

func (w *web) health(rw http.ResponseWriter, r *http.Request) {
	in := w.svc.Inbox.Status()
	st, err := w.svc.Store.OutboxStats(r.Context())
	rep := healthReport{
		IMAPConnected: in.Connected, LastPoll: in.LastPoll,
		OutboxQueued: st.Queued, OutboxFailed: st.Failed, OldestQueuedAt: st.OldestQueued,
	}
	if !st.OldestQueued.IsZero() {
		rep.OldestQueuedS = time.Since(st.OldestQueued).Seconds()
	}
	rep.OK = err == nil && in.Connected
	rw.Header().Set("Content-Type", "application/json")
	rw.Header().Set("Cache-Control", "no-store")
	if !rep.OK {
		rw.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(rw).Encode(rep)
}

// serve listens on addr until ctx is done.
func (w *web) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: w.handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web: %w", err)
	}
	return nil
}
