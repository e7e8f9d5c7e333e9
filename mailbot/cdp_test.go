//go:build linux

package mailbot

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A small client for the Chrome DevTools Protocol
// (https://chromedevtools.github.io/devtools-protocol/), spoken over the
// pipe Chromium opens with --remote-debugging-pipe: JSON messages, each
// ended by a NUL byte, commands on file descriptor 3 and answers and
// events on 4. It needs nothing but the standard library and the browser
// itself (no driver, no WebSocket), and the browser exits when the pipe
// closes, so a test killed half-way leaves no Chromium behind.

// browserRequired makes a missing browser fail the test instead of
// skipping it: CI sets it, so the browser test cannot quietly not run.
const browserRequired = "MAILBOT_REQUIRE_BROWSER"

// cdpTimeout bounds each command, so that a browser that stops answering
// fails the test instead of hanging it.
const cdpTimeout = 30 * time.Second

// chromiumPath finds the browser: Debian's package, or Google's.
func chromiumPath() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("chromium not found on PATH")
}

// browser is one headless Chromium, with one page attached.
type browser struct {
	t       testing.TB
	conn    *cdpConn
	session string // the page's flat session
}

// cdpConn is the pipe to one browser process.
type cdpConn struct {
	w      *os.File
	mu     sync.Mutex
	nextID int
	wait   map[int]chan cdpMessage
	events []cdpMessage // every event, for the test to look through
	closed chan struct{}
}

type cdpMessage struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// startBrowser starts headless Chromium with page scripts allowed or not,
// on a small phone's screen, or skips the test when there is no Chromium.
func startBrowser(t *testing.T, javascript bool) *browser {
	t.Helper()
	bin, err := chromiumPath()
	if err != nil {
		msg := fmt.Sprintf("no browser to test the web pages with (%v): apt-get install chromium", err)
		if os.Getenv(browserRequired) != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	toChrome, ourEnd, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fromChrome, chromeEnd, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin,
		"--headless=new", "--remote-debugging-pipe", "--user-data-dir="+t.TempDir(),
		// Root in a container has no sandbox to use.
		"--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		// No internet here, and nothing to fetch: keep Chromium quiet.
		"--no-first-run", "--no-default-browser-check", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-default-apps",
		"about:blank")
	cmd.ExtraFiles = []*os.File{toChrome, chromeEnd} // descriptors 3 and 4
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	toChrome.Close()
	chromeEnd.Close()
	c := &cdpConn{w: ourEnd, wait: map[int]chan cdpMessage{}, closed: make(chan struct{})}
	go c.read(fromChrome)
	t.Cleanup(func() {
		c.call("", "Browser.close", nil, nil)
		ourEnd.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			// The whole group: the browser and its renderers.
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})

	b := &browser{t: t, conn: c}
	var targets struct {
		TargetInfos []struct{ TargetID, Type string } `json:"targetInfos"`
	}
	if err := c.call("", "Target.getTargets", nil, &targets); err != nil {
		t.Fatalf("Chromium did not answer: %v; its output:\n%s", err, stderr.String())
	}
	for _, ti := range targets.TargetInfos {
		if ti.Type == "page" {
			var att struct{ SessionID string }
			if err := c.call("", "Target.attachToTarget", map[string]any{"targetId": ti.TargetID, "flatten": true}, &att); err != nil {
				t.Fatal(err)
			}
			b.session = att.SessionID
			break
		}
	}
	if b.session == "" {
		t.Fatalf("Chromium opened no page: %+v", targets)
	}
	b.do("Page.enable", nil, nil)
	b.do("Network.enable", nil, nil)
	b.do("Log.enable", nil, nil)
	b.do("Runtime.enable", nil, nil)
	// A small phone: where text reflows the most.
	b.do("Emulation.setDeviceMetricsOverride", map[string]any{"width": 320, "height": 640, "deviceScaleFactor": 2, "mobile": true}, nil)
	if !javascript {
		// What a browser's "Don't allow sites to use JavaScript" does;
		// DevTools can still look at the page.
		b.do("Emulation.setScriptExecutionDisabled", map[string]any{"value": true}, nil)
	}
	return b
}

// read hands each answer to its caller and keeps each event.
func (c *cdpConn) read(r *os.File) {
	defer close(c.closed)
	br := bufio.NewReader(r)
	for {
		raw, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m cdpMessage
		if json.Unmarshal(raw[:len(raw)-1], &m) != nil {
			continue
		}
		c.mu.Lock()
		if m.ID != 0 {
			if ch, ok := c.wait[m.ID]; ok {
				ch <- m
				delete(c.wait, m.ID)
			}
		} else {
			c.events = append(c.events, m)
		}
		c.mu.Unlock()
	}
}

// call sends one command (to the browser when session is "") and decodes
// its result into out.
func (c *cdpConn) call(session, method string, params, out any) error {
	ch := make(chan cdpMessage, 1)
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	c.wait[id] = ch
	c.mu.Unlock()
	msg := map[string]any{"id": id, "method": method, "params": params}
	if params == nil {
		msg["params"] = map[string]any{}
	}
	if session != "" {
		msg["sessionId"] = session
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := c.w.Write(append(b, 0)); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(m.Result, out)
		}
		return nil
	case <-c.closed:
		return fmt.Errorf("%s: the browser has gone", method)
	case <-time.After(cdpTimeout):
		return fmt.Errorf("%s: no answer within %v", method, cdpTimeout)
	}
}

// on is b reporting to t, for use in a subtest.
func (b *browser) on(t testing.TB) *browser {
	c := *b
	c.t = t
	return &c
}

// do runs a command on the page, failing the test on error.
func (b *browser) do(method string, params, out any) {
	b.t.Helper()
	if err := b.conn.call(b.session, method, params, out); err != nil {
		b.t.Fatal(err)
	}
}

// eval runs JavaScript in the page through DevTools, which works whether
// or not the page itself may run scripts, and decodes its value into out.
func (b *browser) eval(js string, out any) {
	b.t.Helper()
	if err := b.evalErr(js, out); err != nil {
		b.t.Fatal(err)
	}
}

// navigating is what DevTools answers an evaluation that a navigation
// overtook: the page it ran in is gone, and the next one is on its way.
func navigating(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "navigated or closed") || strings.Contains(err.Error(), "Cannot find context"))
}

// evalErr is eval, returning DevTools' error rather than failing on it.
func (b *browser) evalErr(js string, out any) error {
	b.t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := b.conn.call(b.session, "Runtime.evaluate", map[string]any{"expression": js, "returnByValue": true}, &res); err != nil {
		return err
	}
	if e := res.ExceptionDetails; e != nil {
		return fmt.Errorf("%s: %s %s", js, e.Text, e.Exception.Description)
	}
	if out != nil {
		if err := json.Unmarshal(res.Result.Value, out); err != nil {
			return fmt.Errorf("%s: %v in %s", js, err, res.Result.Value)
		}
	}
	return nil
}

// open goes to url and waits for it to load.
func (b *browser) open(url string) {
	b.t.Helper()
	var nav struct{ ErrorText string }
	b.do("Page.navigate", map[string]string{"url": url}, &nav)
	if nav.ErrorText != "" {
		b.t.Fatalf("open %s: %s", url, nav.ErrorText)
	}
	b.waitFor(url, "body")
}

// waitFor waits until the page at url ("" for any) has loaded and has an
// element matching css: after a click, the next page may still be on its
// way.
func (b *browser) waitFor(url, css string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	q, _ := json.Marshal(css)
	for {
		var st struct {
			URL, State string
			Found      bool
		}
		// The page it waits for may replace the one asked, mid-question.
		err := b.evalErr(fmt.Sprintf("({url: document.URL, state: document.readyState, found: document.querySelector(%s) !== null})", q), &st)
		if err != nil && !navigating(err) {
			b.t.Fatal(err)
		}
		if err == nil && (url == "" || st.URL == url) && st.State == "complete" && st.Found {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("no %s at %s within 20s: at %s, %s; page:\n%s", css, url, st.URL, st.State, b.text("body"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *browser) title() string {
	b.t.Helper()
	var s string
	b.eval("document.title", &s)
	return s
}

// count is how many elements match css.
func (b *browser) count(css string) int {
	b.t.Helper()
	q, _ := json.Marshal(css)
	var n int
	b.eval(fmt.Sprintf("document.querySelectorAll(%s).length", q), &n)
	return n
}

// text is the rendered text of the elements matching css, one a line.
func (b *browser) text(css string) string {
	b.t.Helper()
	q, _ := json.Marshal(css)
	var s []string
	b.eval(fmt.Sprintf("Array.from(document.querySelectorAll(%s), e => e.innerText)", q), &s)
	return strings.Join(s, "\n")
}

// click presses the mouse on the middle of the only element matching css,
// as a person does: the browser decides what that does, with or without
// scripts.
func (b *browser) click(css string) {
	b.t.Helper()
	if n := b.count(css); n != 1 {
		b.t.Fatalf("%d elements match %q, want 1 to click", n, css)
	}
	q, _ := json.Marshal(css)
	var at struct{ X, Y float64 }
	b.eval(fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.scrollIntoView({block: "center"});
		const r = e.getBoundingClientRect(); return {x: r.x + r.width/2, y: r.y + r.height/2}; })()`, q), &at)
	for _, typ := range []string{"mousePressed", "mouseReleased"} {
		b.do("Input.dispatchMouseEvent", map[string]any{"type": typ, "x": at.X, "y": at.Y, "button": "left", "clickCount": 1}, nil)
	}
}

// axNode is one node of the page's accessibility tree: what a screen
// reader is told.
type axNode struct {
	Role, Name string
}

// accessibility returns the page's accessibility tree, without the nodes
// a screen reader ignores.
func (b *browser) accessibility() []axNode {
	b.t.Helper()
	var tree struct {
		Nodes []struct {
			Ignored bool `json:"ignored"`
			Role    struct {
				Value string `json:"value"`
			} `json:"role"`
			Name struct {
				Value string `json:"value"`
			} `json:"name"`
		} `json:"nodes"`
	}
	b.do("Accessibility.getFullAXTree", nil, &tree)
	var out []axNode
	for _, n := range tree.Nodes {
		if !n.Ignored {
			out = append(out, axNode{n.Role.Value, n.Name.Value})
		}
	}
	return out
}

// cdpEvent is one event the browser reported.
type cdpEvent struct {
	Method string
	Params json.RawMessage
}

// takeEvents returns the page's events since the last call, and forgets
// them.
func (b *browser) takeEvents() []cdpEvent {
	c := b.conn
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []cdpEvent
	for _, m := range c.events {
		if m.SessionID == b.session {
			out = append(out, cdpEvent{m.Method, m.Params})
		}
	}
	c.events = nil
	return out
}
