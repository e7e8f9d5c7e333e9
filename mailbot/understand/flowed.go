package understand

import "strings"

// unflow decodes a text/plain body sent with format=flowed (RFC 3676): the
// sender's client broke long paragraphs into short lines and marked each
// soft break with a trailing space, so the person's sentence reaches us as
// one line again. Apple Mail and Thunderbird send this; without decoding it,
// a date or an "On … wrote:" line can be split in the middle.
//
// Quoted lines keep their ">" markers (one per level, then a space), so the
// quote rules in quotes.go see them as any other quoted line.
func unflow(s string, delSp bool) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out []string
	var para strings.Builder
	depth, open := 0, false
	flush := func() {
		if !open {
			return
		}
		line := para.String()
		if depth > 0 {
			prefix := strings.Repeat(">", depth)
			if line != "" {
				prefix += " "
			}
			line = prefix + line
		}
		out = append(out, line)
		para.Reset()
		open = false
	}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSuffix(line, "\r")
		// RFC 3676 section 4.5: the quote depth is the number of ">" at the
		// start of the line, with no spaces between them.
		d := 0
		for d < len(line) && line[d] == '>' {
			d++
		}
		content := line[d:]
		// Section 4.4: one leading space is stuffing, added by the sender
		// so a line starting with ">", "From " or a space survives; it is
		// removed here whether or not the line is quoted (section 4.5).
		content = strings.TrimPrefix(content, " ")
		// Section 4.3: "-- " is the signature separator, never a soft break.
		soft := strings.HasSuffix(content, " ") && content != "-- "
		// Section 4.5: a flowed line followed by one at another depth is
		// improperly flowed; treat it as ending its paragraph.
		if open && d != depth {
			flush()
		}
		depth = d
		if soft && delSp {
			// Section 4.2: with DelSp=yes the space before the break was
			// added by the sender and is not part of the text.
			content = content[:len(content)-1]
		}
		para.WriteString(content)
		open = true
		if !soft {
			flush()
		}
	}
	flush()
	return strings.Join(out, "\n")
}
