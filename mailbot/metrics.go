package mailbot

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// metrics answers GET /metrics in the Prometheus text format (version
// 0.0.4), by hand: a handful of numbers does not justify a client
// library. Totals from the database, which survive restarts, and the
// inbox's state from this process; counts only, nothing about any one
// person.
func (w *web) metrics(rw http.ResponseWriter, r *http.Request) {
	c, err := w.status.Counts(r.Context())
	if err != nil {
		err = w.status.Classify(err)
		w.log.Error("metrics: reading the database", "err", err)
		http.Error(rw, "the database cannot be read: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	bs, err := w.status.BounceStats(r.Context())
	if err != nil {
		w.log.Error("metrics: reading the bounces", "err", err)
		http.Error(rw, "the database cannot be read", http.StatusServiceUnavailable)
		return
	}
	in := w.inbox.Status()
	rw.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-store")
	m := metricWriter{w: rw}
	m.one("mailbot_messages_handled_total", "counter", "Messages read from the inbox and handled.", c.Handled)
	m.one("mailbot_messages_sent_total", "counter", "Messages sent: replies, hand-offs, reminders and newsletters.", c.Sent)
	m.head("mailbot_send_failures_total", "counter", "Sending attempts that failed: temporary ones were tried again, permanent ones given up.")
	m.sample("mailbot_send_failures_total", `kind="temporary"`, c.Retried)
	m.sample("mailbot_send_failures_total", `kind="permanent"`, c.Failed)
	m.one("mailbot_messages_dropped_total", "counter", "Messages never sent: the person's details were erased, or mail to them stopped.", c.Dropped)
	m.one("mailbot_bulk_paused", "gauge", "1 while list mail is paused because receiving servers refuse the council's mail.", boolMetric(bs.Pause.Paused))
	m.head("mailbot_bounces", "gauge", "Delivery failures recorded, by whose fault: recipient (address gone), transient, sender (ours).")
	m.sample("mailbot_bounces", `fault="recipient"`, bs.Hard)
	m.sample("mailbot_bounces", `fault="transient"`, bs.Soft)
	m.sample("mailbot_bounces", `fault="sender"`, bs.Sender)
	m.one("mailbot_suppressed_addresses", "gauge", "People whose mail is stopped after bounces, until they write.", bs.Suppressed)
	m.one("mailbot_complaints", "gauge", "Abuse reports (people who marked our mail as spam) acted on.", bs.Complaints)
	m.one("mailbot_handoffs_total", "counter", "Messages passed to staff.", c.Handoffs)
	m.one("mailbot_handoffs_waiting", "gauge", "Messages for staff not yet delivered to them.", c.HandoffsQueued)
	m.one("mailbot_outbox_queued", "gauge", "Messages waiting to be sent.", c.Queued)
	var age float64
	if !c.OldestQueued.IsZero() {
		age = time.Since(c.OldestQueued).Seconds()
	}
	m.one("mailbot_outbox_oldest_seconds", "gauge", "How long the oldest message waiting to be sent has waited.", age)
	m.one("mailbot_subscribers", "gauge", "People on the mailing list.", c.Confirmed)
	m.one("mailbot_imap_connected", "gauge", "1 while the inbox is connected to the IMAP server.", boolMetric(in.Connected))
	if !in.LastPoll.IsZero() {
		m.one("mailbot_last_poll_timestamp_seconds", "gauge", "When the inbox last finished looking for mail.", float64(in.LastPoll.UnixMilli())/1000)
	}
}

func boolMetric(b bool) int {
	if b {
		return 1
	}
	return 0
}

// metricWriter writes the text format; a write error is the client gone.
type metricWriter struct{ w io.Writer }

func (m metricWriter) head(name, kind, help string) {
	fmt.Fprintf(m.w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind)
}

func (m metricWriter) sample(name, labels string, v any) {
	if labels != "" {
		name += "{" + labels + "}"
	}
	fmt.Fprintf(m.w, "%s %v\n", name, v)
}

func (m metricWriter) one(name, kind, help string, v any) {
	m.head(name, kind, help)
	m.sample(name, "", v)
}
