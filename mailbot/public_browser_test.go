//go:build linux

package mailbot

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// axeEnv names axe-core's axe.min.js (npm's axe-core package), which the
// public pages are checked with; .ci/run installs it.
const axeEnv = "MAILBOT_AXE"

// TestBrowserPublicPages opens the public pages in a real Chromium on a
// small phone's screen, served by the bot's own handler: each must need
// no script, fit the screen, use readable type, load nothing from
// elsewhere, and have no axe-core violations (WCAG 2.1 A and AA, and
// axe's best practices).
func TestBrowserPublicPages(t *testing.T) {
	t.Parallel()
	browser := startBrowser(t, true)
	d := newDesk(t, nil)
	srv := httptest.NewServer(newWeb(&Service{Bot: d.bot, Store: d.st}, d.bot.log).handler())
	t.Cleanup(srv.Close)
	d.joined(mary)
	d.newsletter("Summer news", "# Hello all\n\nThe **walk** is on. [Our site](https://example.org/)")
	d.mail(mary)
	if _, _, err := d.bot.Withdraw(context.Background(), "bd-2027-02", ""); err != nil {
		t.Fatal(err)
	}
	axe := os.Getenv(axeEnv)
	var axeJS []byte
	if axe != "" {
		var err error
		if axeJS, err = os.ReadFile(axe); err != nil {
			t.Fatalf("%s: %v", axeEnv, err)
		}
	} else if os.Getenv(browserRequired) != "" {
		t.Fatalf("%s is not set: install axe-core from npm and point it at axe.min.js", axeEnv)
	}
	if axeJS != nil {
		// The check can fail: a page with a known fault has a violation.
		b := browser.on(t)
		b.open("data:text/html,<!DOCTYPE html><html lang=en><title>x</title><main><img src=x.png></main></html>")
		if v := axeViolations(b, axeJS); len(v) == 0 || !strings.HasPrefix(v[0], "image-alt") {
			t.Fatalf("axe-core found %q in a page with an image without alt text", v)
		}
	}
	for _, path := range []string{"/sessions", "/newsletters", "/newsletters/1"} {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			b := browser.on(t)
			b.takeEvents()
			b.open(srv.URL + path)
			var scripts int
			b.eval("document.scripts.length", &scripts)
			if scripts != 0 {
				t.Errorf("%d scripts on a page that must need none", scripts)
			}
			var lang string
			b.eval("document.documentElement.lang", &lang)
			if !strings.HasPrefix(lang, "en") || b.title() == "" {
				t.Errorf("lang %q, title %q", lang, b.title())
			}
			var small []string
			b.eval(`Array.from(document.querySelectorAll("h1, h2, h3, p, li, a"), e => [e.tagName, parseFloat(getComputedStyle(e).fontSize)])
				.filter(([_, px]) => px < 16).map(([tag, px]) => tag + " " + px)`, &small)
			if len(small) > 0 {
				t.Errorf("text under 16px: %q", small)
			}
			var widths []float64
			b.eval("[document.documentElement.scrollWidth, document.documentElement.clientWidth]", &widths)
			if len(widths) != 2 || widths[0] > widths[1] {
				t.Errorf("page width %v scrolls sideways on a phone", widths)
			}
			for _, e := range b.takeEvents() {
				if e.Method == "Network.requestWillBeSent" {
					var p struct{ Request struct{ URL string } }
					json.Unmarshal(e.Params, &p)
					if !strings.HasPrefix(p.Request.URL, srv.URL+"/") {
						t.Errorf("the page loaded %s from elsewhere", p.Request.URL)
					}
				}
			}
			if axeJS == nil {
				t.Logf("%s not set: no axe-core check", axeEnv)
				return
			}
			for _, v := range axeViolations(b, axeJS) {
				t.Errorf("axe-core: %s", v)
			}
		})
	}
}

// axeViolations runs axe-core (its source in axeJS) on b's page and says
// each violation: its rule, what it asks, and where.
func axeViolations(b *browser, axeJS []byte) []string {
	b.t.Helper()
	b.eval(string(axeJS)+";true", nil)
	var res struct {
		Result struct {
			Value []struct {
				ID, Help string
				Nodes    []string
			} `json:"value"`
		} `json:"result"`
		ExceptionDetails json.RawMessage `json:"exceptionDetails"`
	}
	b.do("Runtime.evaluate", map[string]any{"awaitPromise": true, "returnByValue": true, "expression": `axe.run(document,
		{runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})
		.then(r => r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(" "))})))`}, &res)
	if res.ExceptionDetails != nil {
		b.t.Fatalf("axe-core failed: %s", res.ExceptionDetails)
	}
	var out []string
	for _, v := range res.Result.Value {
		out = append(out, v.ID+" ("+v.Help+") at "+strings.Join(v.Nodes, ", "))
	}
	return out
}
