package understand

import "testing"

func TestUnflow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		in    string
		delSp bool
		want  string
	}{
		{"soft breaks join", "Could I book the \r\nsession on the \r\n15th?\r\n", false, "Could I book the session on the 15th?\n"},
		{"hard break stays", "Yes please\r\nMary\r\n", false, "Yes please\nMary\n"},
		{"delsp removes the added space", "Could I book the\x20\r\nsession?\r\n", true, "Could I book thesession?\n"},
		{"delsp, word split", "Wed\x20\r\nnesday\r\n", true, "Wednesday\n"},
		// RFC 3676 section 4.4: " From" and " >" were stuffed by the sender.
		{"space-stuffing removed", " From now on\r\n >5 people\r\n  indented\r\n", false, "From now on\n>5 people\n indented\n"},
		{"quoted lines keep depth", "> On 3 Aug 2027, at 10:15, Better Days \r\n> <bd@example.org> wrote:\r\n>> older \r\n>> text\r\n", false,
			"> On 3 Aug 2027, at 10:15, Better Days <bd@example.org> wrote:\n>> older text\n"},
		{"stuffed quote marker", ">  two spaces\r\n", false, ">  two spaces\n"},
		{"signature separator is not soft", "Thanks\r\n-- \r\nMary\r\n", false, "Thanks\n-- \nMary\n"},
		{"depth change ends a paragraph", "> quoted \r\nmine\r\n", false, "> quoted \nmine\n"},
		{"empty quoted line", ">\r\n", false, ">\n"},
		{"last line soft", "dangling ", false, "dangling "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := unflow(tc.in, tc.delSp); got != tc.want {
				t.Errorf("unflow(%q, %v) = %q, want %q", tc.in, tc.delSp, got, tc.want)
			}
		})
	}
}
