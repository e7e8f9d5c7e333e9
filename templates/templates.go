// Package templates holds the words of every message the bot sends, as
// embedded pairs of files: NAME.txt (text/template, the plain-text part
// people read first) and NAME.html (html/template, the simple large-type
// part), wrapped in one accessible layout. They are parsed once, at Load.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	texttemplate "text/template"
)

//go:embed *.txt *.html
var files embed.FS

// funcs are the few helpers the words need.
var funcs = map[string]any{
	"inc":  func(i int) int { return i + 1 }, // numbered lists count from 1
	"wrap": wrap,
	// isLink: a line that is one web address becomes a link in HTML.
	"isLink": func(s string) bool {
		return (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) && !strings.ContainsAny(s, " \t")
	},
}

// wrap breaks s into lines of at most 72 characters where it has spaces,
// every line after the first indented by indent spaces: a server's reply
// quoted in a plain-text email stays within the line length mail clients
// show (RFC 5322 section 2.1.1 asks for 78).
func wrap(indent int, s string) string {
	var b strings.Builder
	width := 0
	for i, w := range strings.Fields(s) {
		if i > 0 && width+1+len(w) > 72 {
			b.WriteString("\n" + strings.Repeat(" ", indent))
			width = indent
		} else if i > 0 {
			b.WriteByte(' ')
			width++
		}
		b.WriteString(w)
		width += len(w)
	}
	return b.String()
}

// Set is the parsed templates. It is safe for concurrent use.
type Set struct {
	text   *texttemplate.Template
	html   *htmltemplate.Template
	layout *htmltemplate.Template
}

// Rendered is one message's two bodies.
type Rendered struct {
	Text string
	HTML string
}

// Load parses every template and checks that each message kind has both
// its text and its HTML file.
func Load() (*Set, error) {
	text, err := texttemplate.New("").Option("missingkey=error").Funcs(texttemplate.FuncMap(funcs)).ParseFS(files, "*.txt")
	if err != nil {
		return nil, fmt.Errorf("parse text templates: %w", err)
	}
	html, err := htmltemplate.New("").Option("missingkey=error").Funcs(htmltemplate.FuncMap(funcs)).ParseFS(files, "*.html")
	if err != nil {
		return nil, fmt.Errorf("parse HTML templates: %w", err)
	}
	layout := html.Lookup("layout.html")
	if layout == nil {
		return nil, fmt.Errorf("parse HTML templates: layout.html missing")
	}
	names, _ := fs.Glob(files, "*.txt")
	for _, n := range names {
		if html.Lookup(strings.TrimSuffix(n, ".txt")+".html") == nil {
			return nil, fmt.Errorf("template %s has no HTML twin", n)
		}
	}
	return &Set{text: text, html: html, layout: layout}, nil
}

// Names lists the message kinds, for tests that render them all.
func (s *Set) Names() []string {
	var out []string
	for _, t := range s.text.Templates() {
		if n, ok := strings.CutSuffix(t.Name(), ".txt"); ok {
			out = append(out, n)
		}
	}
	return out
}

// Render fills the message kind name with data. title names the HTML
// document for screen readers.
func (s *Set) Render(name, title string, data any) (Rendered, error) {
	var text bytes.Buffer
	if err := s.text.ExecuteTemplate(&text, name+".txt", data); err != nil {
		return Rendered{}, fmt.Errorf("render %s text: %w", name, err)
	}
	html, err := s.Page(name, title, data)
	if err != nil {
		return Rendered{}, err
	}
	return Rendered{Text: text.String(), HTML: html}, nil
}

// Page fills the HTML template name with data, in the layout: a message's
// HTML part, or one of the bot's few web pages (page-*.html).
func (s *Set) Page(name, title string, data any) (string, error) {
	var content, page bytes.Buffer
	if err := s.html.ExecuteTemplate(&content, name+".html", data); err != nil {
		return "", fmt.Errorf("render %s HTML: %w", name, err)
	}
	err := s.layout.Execute(&page, struct {
		Title   string
		Content htmltemplate.HTML // already escaped by its own template
	}{title, htmltemplate.HTML(content.String())})
	if err != nil {
		return "", fmt.Errorf("render %s layout: %w", name, err)
	}
	return page.String(), nil
}
