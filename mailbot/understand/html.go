package understand

import (
	"strings"

	"golang.org/x/net/html"
)

// HTMLToText renders an HTML body as the plain text a person would read:
// scripts and styles dropped, entities decoded, block elements and <br> as
// line breaks, list items as "- " lines.
func HTMLToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(strings.ToValidUTF8(s, "\uFFFD")))
	var b strings.Builder
	skip := 0 // depth inside <script>, <style>, <head>
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return normaliseText(collapseBlankLines(b.String()))
		case html.TextToken:
			if skip == 0 {
				b.WriteString(collapseSpace(string(z.Text())))
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "head", "title":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch tag {
			case "br":
				b.WriteString("\n")
			case "li":
				if tt == html.StartTagToken {
					b.WriteString("\n- ")
				}
			case "p", "div", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote", "pre", "hr":
				b.WriteString("\n")
			case "td", "th":
				if tt == html.EndTagToken {
					b.WriteString(" ")
				}
			}
		}
	}
}

// collapseSpace folds runs of white space in HTML text into one space, as a
// browser does.
func collapseSpace(s string) string {
	if strings.TrimSpace(s) == "" {
		if s == "" {
			return ""
		}
		return " "
	}
	lead := strings.IndexFunc(s, func(r rune) bool { return !isSpace(r) }) > 0
	trail := isSpace(rune(s[len(s)-1]))
	out := strings.Join(strings.Fields(s), " ")
	if lead {
		out = " " + out
	}
	if trail {
		out += " "
	}
	return out
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' }

func collapseBlankLines(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
