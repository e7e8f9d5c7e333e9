package mailbot

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"net"
	"net/textproto"
	"strings"
	"testing"
)

// captureConn keeps what is written to it.
type captureConn struct {
	net.Conn
	got bytes.Buffer
}

func (c *captureConn) Write(p []byte) (int, error) { return c.got.Write(p) }

// writeData puts the same bytes on the wire as go-smtp's writer
// (net/textproto's DotWriter) given the whole message, ending included:
// leading dots, bare "\n"s, "\r"s alone and in runs, with and without a
// final line break, large and empty.
func TestWriteDataAsDotWriter(t *testing.T) {
	t.Parallel()
	cases := []string{
		"", "x", "\n", "\r\n", ".", ".\r\n", "..\r\n", "a\r\n.\r\n", "a\r\n.b\r\nc",
		"Subject: x\r\n\r\nbody\r\n.\r\n..\r\nend\r\n",
		"bare\nlines\n.dot\n", "cr\ronly\r", "\r\r\n", "\r\r\r\n", ".\r\r\n\r\n", "\n\n.\n",
		"a\r\n\r", "a\r\nb\r", "a\nb", "a\r\n\n", strings.Repeat("line of text\r\n.dot\r\n", 20000),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, r.IntN(200))
		for i := range b {
			b[i] = "ab.\r\n"[r.IntN(5)]
		}
		cases = append(cases, string(b))
	}
	for _, msg := range cases {
		var want bytes.Buffer
		wbw := bufio.NewWriter(&want)
		dw := textproto.NewWriter(wbw).DotWriter()
		dw.Write([]byte(msg))
		dw.Close()

		cc := &captureConn{}
		bc := &batchConn{Conn: cc}
		// As go-smtp has it: its text writer on the connection, with a
		// 4 KB buffer, empty when the data begins.
		w := textproto.NewWriter(bufio.NewWriter(bc)).DotWriter()
		s := &smtpSender{data: bc}
		if err := s.writeData(w, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		w.Close()
		bc.flush()
		if !bytes.Equal(cc.got.Bytes(), want.Bytes()) {
			t.Fatalf("writeData(%q) wrote %q, DotWriter %q", short(msg), short(cc.got.String()), short(want.String()))
		}
	}
}

func short(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// discardConn takes every write and keeps nothing.
type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkWriteData is one message's data, about a newsletter copy's size
// (11.6 KB of 76-character quoted-printable lines, a few starting with a
// dot), through go-smtp's writer alone (DotWriter, as go-smtp sets it
// up) and through writeData, into a batchConn that discards it.
//
//	go test -run '^$' -bench WriteData -benchmem ./mailbot
func BenchmarkWriteData(b *testing.B) {
	var msg []byte
	for i := 0; len(msg) < 11600; i++ {
		line := strings.Repeat("x", 73) + "=\r\n"
		if i%40 == 0 {
			line = "." + line[1:]
		}
		msg = append(msg, line...)
	}
	for _, via := range []string{"dotwriter", "writeData"} {
		b.Run(via, func(b *testing.B) {
			bc := &batchConn{Conn: discardConn{}}
			s := &smtpSender{data: bc}
			if via == "dotwriter" {
				s.data = nil
			}
			tw := textproto.NewWriter(bufio.NewWriter(bc))
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				w := tw.DotWriter()
				if err := s.writeData(w, msg); err != nil {
					b.Fatal(err)
				}
				w.Close()
				bc.flush()
			}
		})
	}
}
