package mailbot

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestMetrics reads /metrics over real HTTP after Mary books and asks
// something only staff can answer: the counts are the database's, every
// sample has its HELP and TYPE, and the text is Prometheus's format.
func TestMetrics(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "book", "Please book me on 15 July")
	d.one(mary)
	d.send(mary, "Parking", "Hello, is there parking near the library?\n\nMary")
	d.mail(mary)
	d.mail(officer)
	srv := httptest.NewServer(webFor(d, InboxStatus{Connected: true}).handler())
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics: %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	sample := regexp.MustCompile(`^([a-z_]+)(\{[a-z]+="[a-z]+"\})? (-?[0-9.e+]+)$`)
	typed := map[string]bool{}
	got := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			typed[strings.Fields(rest)[0]] = true
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		m := sample.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("not a sample: %q", line)
			continue
		}
		if !typed[m[1]] {
			t.Errorf("%s has no TYPE before it", m[1])
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Errorf("%q: %v", line, err)
		}
		got[m[1]+m[2]] = v
	}
	for name, want := range map[string]float64{
		"mailbot_messages_handled_total":                2,
		"mailbot_handoffs_total":                        1,
		"mailbot_imap_connected":                        1,
		`mailbot_send_failures_total{kind="permanent"}`: 0,
		`mailbot_bounces{fault="recipient"}`:            0,
		"mailbot_bulk_paused":                           0,
		"mailbot_outbox_queued":                         0,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, want)
		}
	}
	if got["mailbot_messages_sent_total"] < 3 {
		t.Errorf("mailbot_messages_sent_total = %v, want Mary's two answers and the hand-off", got["mailbot_messages_sent_total"])
	}
}
