package understand

import (
	"cmp"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/betterdays/mailbot/mailbot/address"
)

// Forward is a message forwarded inside another: typically a member of
// staff passing on what a member of the public wrote. It says only what
// the forward shows; whether the forwarder may act for that person is the
// caller's decision.
//
// A message is a forward, and Message.Forwarded set, when one of these
// holds, in this order:
//
//  1. it has a message/rfc822 part (RFC 2046 section 5.2.1) outside a
//     delivery report: a forward as attachment, read with Parse;
//  2. the first history marker in its text (see Fresh) is a forward marker:
//     Gmail's "---------- Forwarded message ---------", Thunderbird's
//     "-------- Forwarded Message --------", Apple Mail's "Begin forwarded
//     message:", or their translations;
//  3. its subject starts with a forward prefix (Fw:, Fwd:, WG:, TR:, RV:
//     and the others in forwardPrefixes, after any "[EXTERNAL]" tag) and the
//     first history marker in its text is an Outlook header block with a
//     From: line, with or without a separator line above it.
//
// Only the first marker counts: a reply that quotes an older forward
// further down is still a reply. An Outlook reply carries the same header
// block as an Outlook forward, which is why rule 3 needs the subject; a
// reply to a forward ("RE: FW: …") is a reply.
type Forward struct {
	// From is the original sender's address, lower case. When the forward
	// shows only a name (Outlook does, for people in its address book), it
	// is the first address in the forwarded text whose local part holds
	// that surname; "" when there is none.
	From      string
	FromName  string
	Subject   string
	MessageID string // without angle brackets; only a forward as attachment, or a client that copies it, has one
	// Date is when the original was sent, as the forward shows it. A date
	// written without a zone ("Sent: 03 August 2027 10:15") is read as UTC
	// wall-clock time; one in a language other than English is left zero.
	Date time.Time
	Text string // what the original sender wrote, fresh (see Fresh)
	// Phone is the number in the signature cut from Text: still theirs.
	Phone string
	Note  string // what the forwarder wrote above it, fresh
}

// attachedForward is the Forward for a message forwarded as an attachment.
func attachedForward(inner *Message, note string) *Forward {
	return &Forward{
		From: inner.From, FromName: inner.FromName, Subject: inner.Subject,
		MessageID: inner.MessageID, Date: inner.Date, Text: inner.Fresh, Phone: Phone(inner.Signature), Note: note,
	}
}

// inlineForward finds a forward written into the text of a message, or
// returns nil.
func inlineForward(text, subject, name string) *Forward {
	// Outlook puts a forward's header above the message as it puts a
	// reply's: only the subject tells them apart, and a reply says so in
	// its subject, so one with no subject at all is taken as a forward.
	forwarded := forwardSubject(subject) || strings.TrimSpace(subject) == ""
	lines := splitLines(text)
	at, mk := -1, marker{}
	for i := range lines {
		if isQuoted(lines[i]) {
			// Apple Mail quotes a forward with ">", its marker too; so
			// does 1&1 its "Original Message" line.
			// A reply's quote is the rule: only a marker at its head is
			// worth unquoting the rest for.
			head := unquote(lines[i:min(i+maxLookahead, len(lines))])
			if k := nextNonBlank(head, 0); k < 0 || !strings.HasPrefix(bare(head[k]), "-") && !isForwardMarker(bare(head[k])) {
				break
			}
			un := unquote(lines[i:])
			if j := nextNonBlank(un, 0); j >= 0 {
				if m := historyAt(un, j); m.kind == forwardMark || m.kind == separatorMark && forwarded {
					lines, at, mk = append(lines[:i:i], un...), i+j, m
				}
			}
			break
		}
		if mk = historyAt(lines, i); mk.n > 0 {
			at = i
			break
		}
	}
	if at < 0 {
		return nil
	}
	var body []string
	var f fields
	switch mk.kind {
	case forwardMark:
		body = lines[at+1:]
		// Apple Mail quotes the forwarded message, header and all, with
		// ">" in its plain text.
		if j := nextNonBlank(body, 0); j >= 0 && isQuoted(body[j]) {
			body = unquote(body)
		}
		if of, ok := oneLineForward(bare(lines[at])); ok {
			f, body = of, dedent(body)
		} else if j := nextNonBlank(body, 0); j >= 0 {
			if n, bf := readBlock(body, j); n > 0 && (bf.has("from") || bf.has("subject")) {
				f, body = bf, body[j+n:]
			}
		}
		// Missive quotes the message under the header it writes plain.
		if j := nextNonBlank(body, 0); j >= 0 && isQuoted(body[j]) {
			body = unquote(body)
		}
	case attributionMark:
		// Outlook for Mac forwards as it replies, "On 28/10/2021 12:46,
		// "Mary" <mary@…> wrote:" above the message indented: this is a
		// forward only by Outlook's "FW:", and only one naming an
		// address. Clients that write "Fwd:" mark a forward their own way.
		att := bare(strings.Join(lines[at:at+mk.n], " "))
		loc := emailAddress.FindStringIndex(att)
		if subjectPrefix(subject) != "fw" || loc == nil {
			return nil
		}
		head := quotedName(att[:loc[0]])
		f = fields{"from": head + att[loc[0]:loc[1]] + ">"}
		if !strings.Contains(head, "<") {
			f["from"] = att[loc[0]:loc[1]]
		}
		body = dedent(lines[at+mk.n:])
		if j := nextNonBlank(body, 0); j >= 0 && isQuoted(body[j]) {
			body = unquote(body)
		}
	case separatorMark, headerBlockMark:
		if !forwarded {
			return nil
		}
		j := at
		if mk.kind == separatorMark {
			if j = nextNonBlank(lines, at+1); j < 0 {
				return nil
			}
		}
		n, bf := readBlock(lines, j)
		if n == 0 || !bf.has("from") {
			return nil
		}
		f, body = bf, lines[j+n:]
	default:
		return nil
	}
	fw := &Forward{
		Subject:   OneLine(strings.Trim(f.get("subject"), "* ")),
		MessageID: strings.Trim(f.get("message-id"), "<> "),
		Date:      looseDate(f.get("date")),
		Note:      noteOf(strings.Join(lines[:at], "\n"), name),
	}
	fw.From, fw.FromName = sender(f.get("from"))
	var signature string
	fw.Text, signature = freshAndSignature(strings.Join(body, "\n"), fw.FromName)
	fw.Phone = Phone(signature)
	if fw.From == "" {
		fw.From, _ = sender(f.get("reply-to"))
	}
	if fw.From == "" {
		fw.From = addressNamed(fw.FromName, body)
	}
	return fw
}

// quotedName is the name written just before an address in an
// attribution: the quoted one ("John Doe", « John Doe », „John Doe”) when
// there is one, else what follows the last comma; with the "<" after it.
func quotedName(head string) string {
	t := strings.TrimRight(head, " <(")
	for _, q := range [][2]string{{`"`, `"`}, {"“", "”"}, {"„", "”"}, {"«", "»"}} {
		if inner, ok := strings.CutSuffix(t, q[1]); ok {
			if k := strings.LastIndex(inner, q[0]); k >= 0 {
				return inner[k+len(q[0]):] + head[len(t):]
			}
		}
	}
	if k := strings.LastIndex(head, ","); k >= 0 {
		return head[k+1:]
	}
	return head
}

// dedent takes away the indent every line of a message shares: Outlook
// for Mac indents what it forwards.
func dedent(lines []string) []string {
	indent := -1
	for _, l := range lines {
		if bare(l) == "" {
			continue
		}
		if n := len(l) - len(strings.TrimLeft(l, " \t")); indent < 0 || n < indent {
			indent = n
		}
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l[min(max(indent, 0), len(l)-len(strings.TrimLeft(l, " \t"))):]
	}
	return out
}

// oneLineForward reads the forward header Yahoo's plain text puts on one
// line, its fields run together: "----- Forwarded Message ----- From: Mary
// <mary@…>To: …Sent: … BSTSubject: Booking". A field starts at a capital
// after anything but a small letter, with a name from fieldNames and a
// colon.
func oneLineForward(l string) (fields, bool) {
	rest, ok := strings.CutPrefix(l, "--")
	if !ok {
		return nil, false
	}
	rest = strings.TrimLeft(rest, "-")
	i := strings.Index(rest, "--")
	if i < 0 || !forwardPhrases[phrase(rest[:i])] {
		return nil, false
	}
	rest = strings.TrimSpace(strings.TrimLeft(rest[i:], "-"))
	f := fields{}
	name, start := "", 0
	for i := 0; i < len(rest); {
		r, size := utf8.DecodeRuneInString(rest[i:])
		prev, _ := utf8.DecodeLastRuneInString(rest[:i])
		if unicode.IsUpper(r) && (i == 0 || !unicode.IsLower(prev)) {
			head := rest[i:min(len(rest), i+30)]
			if j := strings.IndexAny(head, ":："); j > 0 {
				if n, ok := fieldNames[strings.ToLower(strings.TrimSpace(head[:j]))]; ok {
					if name != "" {
						f[name] = strings.TrimSpace(rest[start:i])
					}
					_, colon := utf8.DecodeRuneInString(head[j:])
					name, start = n, i+j+colon
					i = start
					continue
				}
			}
		}
		i += size
	}
	if name != "" {
		f[name] = strings.TrimSpace(rest[start:])
	}
	return f, f.has("from") && len(f) >= 2
}

func unquote(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		l = strings.TrimLeft(l, " \t")
		if rest, ok := strings.CutPrefix(l, ">"); ok {
			l = strings.TrimPrefix(rest, " ")
		}
		out[i] = l
	}
	return out
}

// forwardPrefixes start the subject of a forward, in the languages of
// Outlook and Gmail: Fw/Fwd (English), WG (German), TR (French), RV
// (Spanish), ENC (Portuguese), I (Italian), Doorst (Dutch), VB (Swedish),
// VS (Danish, Norwegian), VL (Finnish), PD (Polish), YML (Welsh).
var forwardPrefixes = map[string]bool{
	"fw": true, "fwd": true, "wg": true, "tr": true, "rv": true, "enc": true, "i": true,
	"doorst": true, "vb": true, "vs": true, "vl": true, "pd": true, "yml": true,
	"redir.": true, "videresend": true, "ilt": true, // Romanian, Norwegian, Turkish Outlook
}

func forwardSubject(s string) bool { return forwardPrefixes[subjectPrefix(s)] }

// subjectPrefix is the prefix of a subject ("fw", "re"), lower case, after
// the tags an organisation's mail server adds in front ("[EXTERNAL]"), or
// "" when there is none.
func subjectPrefix(s string) string {
	s = strings.TrimSpace(s)
	for range 4 {
		if strings.HasPrefix(s, "[") {
			if end := strings.IndexByte(s, ']'); end > 0 {
				s = strings.TrimSpace(s[end+1:])
				continue
			}
		}
		head, rest, ok := strings.Cut(s, ":")
		if !ok || len(head) > 10 {
			return ""
		}
		head = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(head)), "\u0307", "")
		if head == "external" || head == "ext" {
			s = strings.TrimSpace(rest)
			continue
		}
		return head
	}
	return ""
}

// fieldNames are the header fields clients copy into a reply or forward,
// by the name they print in each language (Outlook, Gmail, Apple Mail,
// Thunderbird, Yahoo): the key is the lower-case name, the value ours.
var fieldNames = map[string]string{
	"from": "from", "von": "from", "de": "from", "da": "from", "van": "from", "från": "from",
	"fra": "from", "od": "from", "oddi wrth": "from", "lähettäjä": "from", "feladó": "from",
	"от": "from", "kimden": "from", "差出人": "from", "发件人": "from", "寄件者": "from",
	"sent": "date", "date": "date", "gesendet": "date", "datum": "date", "envoyé": "date",
	"envoyé le": "date", "enviado": "date", "enviada": "date", "fecha": "date", "inviato": "date",
	"data": "date", "verzonden": "date", "skickat": "date", "sendt": "date", "wysłane": "date",
	"wysłano": "date", "anfonwyd": "date", "dyddiad": "date", "lähetetty": "date",
	"päivämäärä": "date", "elküldve": "date", "отправлено": "date", "дата": "date",
	"送信日時": "date", "日付": "date", "发送时间": "date", "日期": "date", "寄件日期": "date",
	"tarih": "date", "gönderildi": "date",
	"to": "to", "an": "to", "à": "to", "a": "to", "para": "to", "aan": "to", "till": "to",
	"til": "to", "do": "to", "at": "to", "vastaanottaja": "to", "címzett": "to", "кому": "to",
	"宛先": "to", "收件人": "to", "收件者": "to", "kime": "to",
	"cc": "cc", "kopie": "cc", "copie à": "cc", "cc'": "cc", "kopia": "cc", "kopio": "cc",
	"subject": "subject", "betreff": "subject", "objet": "subject", "asunto": "subject",
	"oggetto": "subject", "onderwerp": "subject", "ämne": "subject", "emne": "subject",
	"temat": "subject", "pwnc": "subject", "aihe": "subject", "tárgy": "subject", "тема": "subject",
	"件名": "subject", "主题": "subject", "主旨": "subject", "konu": "subject", "assunto": "subject",
	"reply-to": "reply-to", "antwort an": "reply-to", "répondre à": "reply-to",
	"message-id": "message-id",
	// Thunderbird, Gmail, Yahoo and Outlook in the other languages of Europe.
	"saatja": "from", "šalje": "from", "de la": "from", "gönderen": "from", "від": "from", "від кого": "from",
	"送信元": "from", "mittente": "from", "nadawca": "from", "expeditorul": "from", "отправитель": "from",
	"päiväys": "date", "dato": "date", "dátum": "date", "dată": "date", "trimis": "date", "odoslané": "date",
	"gönderilen": "date", "відправлено": "date", "message du": "date",
	"komu": "to", "prima": "to", "către": "to", "destinatarul": "to", "adresat": "to", "pour": "to",
	"送信先": "to", "pre": "to",
	"předmět": "subject", "predmet": "subject", "sujet": "subject", "naslov": "subject", "subiect": "subject",
	"subiectul": "subject",
	"kópia":     "cc", "kopi": "cc", "másolat": "cc", "másolatot kap": "cc", "kopie (cc)": "cc", "dw": "cc",
	"bilgi": "cc", "копия": "cc", "копія": "cc",
}

// fieldLine reads a header line as a client prints it in a body:
// "From: Mary", "*From:* Mary" (Gmail's plain text for bold), "De : Mary"
// (French puts a space before the colon), "Subject:\tBooking"
// (Thunderbird).
func fieldLine(l string) (name, value string, ok bool) {
	l = bare(l)
	head := l[:min(len(l), 40)] // field names are short; keep long lines cheap
	i := strings.IndexAny(head, ":：")
	if i <= 0 {
		return "", "", false
	}
	name, ok = fieldNames[strings.ToLower(strings.Trim(l[:i], "* \t\u00a0"))]
	if !ok {
		return "", "", false
	}
	value = strings.TrimPrefix(strings.TrimPrefix(l[i:], ":"), "：")
	return name, strings.TrimFunc(value, func(r rune) bool { return r == '*' || unicode.IsSpace(r) }), true
}

type fields map[string]string

func (f fields) has(k string) bool   { _, ok := f[k]; return ok }
func (f fields) get(k string) string { return f[k] }

// readBlock reads the header block starting at lines[i]: field lines,
// blank lines between them (Outlook's HTML turned into text has them),
// and lines continuing an address that was too long for one. It returns
// how many lines the block spans up to its last field, or 0 when
// lines[i] is not a field with at least one more under it.
func readBlock(lines []string, i int) (int, fields) {
	name, value, ok := fieldLine(lines[i])
	if !ok {
		return 0, nil
	}
	f := fields{name: value}
	end, prev, cont, blanks := i, name, 0, 0
	for j := i + 1; j < len(lines) && j < i+maxBlockLines; j++ {
		l := bare(lines[j])
		if l == "" {
			if blanks++; blanks > 2 {
				break
			}
			prev = ""
			continue
		}
		blanks = 0
		if n, v, ok := fieldLine(l); ok {
			if f.has(n) {
				break // a second From: is another message
			}
			f[n], end, prev = v, j, n
			continue
		}
		// "From: Mary Jones\n<mary@…>": Outlook's text wraps a long field.
		if prev != "" && cont < 3 && (strings.Contains(l, "@") || strings.HasPrefix(l, "<") || strings.HasPrefix(l, "[")) {
			f[prev] += " " + l
			end = j
			cont++
			continue
		}
		break
	}
	if len(f) < 2 {
		return 0, nil
	}
	return end - i + 1, f
}

// outlookBlock says whether fields, found with no separator or forward
// marker above them, are the header Outlook writes above the old message:
// From, then when it was sent, then To or Subject.
//
// From and when, or when and To, are enough when the date reads as one and
// an address is given: "From: mary@…\nDate: Wed, 16 May 2012 00:15:02
// -0600", as talon's users' clients write.
func outlookBlock(f fields) bool {
	switch {
	case f.has("from") && f.has("date") && (f.has("to") || f.has("subject")):
		return true
	case f.has("date") && (strings.Contains(f.get("from"), "@") || strings.Contains(f.get("to"), "@")):
		return !looseDate(f.get("date")).IsZero()
	}
	return false
}

var (
	// Outlook's plain text writes a link as "text<url>", so an address
	// arrives as "mary@example.org<mailto:mary@example.org>".
	mailtoLink = regexp.MustCompile(`<mailto:[^<>\s]*>`)
	// Older Outlook: "Mary Jones [mailto:mary@example.org]".
	mailtoBracket = regexp.MustCompile(`\[mailto:([^\]\s]*)\]`)
	emailAddress  = regexp.MustCompile(`[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+`)
)

// sender reads the address and name from a From: field as a client
// printed it.
func sender(v string) (addr, name string) {
	v = strings.ReplaceAll(v, "*", "")
	v = mailtoLink.ReplaceAllString(v, "")
	v = mailtoBracket.ReplaceAllString(v, "<$1>")
	// Outlook: "Mary Jones <mary@…> on behalf of bookings@…": the person
	// is the first.
	if i := strings.Index(strings.ToLower(v), " on behalf of "); i > 0 {
		v = v[:i]
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", ""
	}
	if a, err := mail.ParseAddress(v); err == nil {
		return address.Canonical(a.Address), OneLine(a.Name)
	}
	loc := emailAddress.FindStringIndex(v)
	if loc == nil {
		return "", OneLine(strings.Trim(v, `"' `))
	}
	addr = strings.ToLower(strings.TrimRight(v[loc[0]:loc[1]], "."))
	name = v[:loc[0]] + " " + v[loc[1]:]
	name = strings.Trim(strings.TrimSpace(name), `<>[]()"',; `)
	return addr, OneLine(name)
}

// noteOf is what the forwarder wrote above a forward, without their
// signature: a job title or a phone number under their name is theirs,
// not the forwarded person's.
func noteOf(text, name string) string {
	note, _ := freshAndSignature(text, name)
	return note
}

// addressNamed finds the address of a forward whose From: shows only a
// name (Outlook does this for people in the organisation's address book):
// the first address in the forwarded text whose local part holds the
// person's surname, so "Mary Jones" finds "mary.jones@…" in her
// signature, and an address of anyone else she mentions is not taken.
func addressNamed(name string, body []string) string {
	surname := surnameOf(name)
	if len(surname) < 3 {
		return ""
	}
	seen := 0
	for _, l := range body {
		if seen += len(l); seen > maxTextBytes {
			break
		}
		for _, a := range emailAddress.FindAllString(l, 8) {
			local, _, _ := strings.Cut(strings.ToLower(a), "@")
			if strings.Contains(local, surname) {
				return strings.ToLower(strings.TrimRight(a, "."))
			}
		}
	}
	return ""
}

// surnameOf is the family name in "Mary Jones" or "Jones, Mary", lower
// case, letters only.
func surnameOf(name string) string {
	name = strings.ToLower(name)
	var word string
	if head, _, ok := strings.Cut(name, ","); ok {
		word = head
	} else if f := strings.Fields(name); len(f) > 0 {
		word = f[len(f)-1]
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) {
			return r
		}
		return -1
	}, word)
}

// looseDate reads a date as mail clients print it above a quoted or
// forwarded message, in English:
//
//	Tue, 3 Aug 2027 10:15:00 +0100          Thunderbird (RFC 5322 section 3.3)
//	Tue, 3 Aug 2027 at 10:15                Gmail, British English
//	Tue, Aug 3, 2027 at 10:15 AM            Gmail, American English
//	3 August 2027 at 10:15:00 BST           Apple Mail
//	Tuesday, August 3, 2027 10:15 AM        Outlook
//	03 August 2027 10:15                    Outlook, British English
//	03/08/2027 10:15                        day first, as in Britain
//
// It returns the zero time for anything else.
func looseDate(s string) time.Time {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' ' // Gmail puts a narrow no-break space before AM
		}
		return r
	}, strings.TrimSpace(s))
	if s == "" || len(s) > 100 {
		return time.Time{}
	}
	if t, err := mail.ParseDate(s); err == nil {
		return t
	}
	words := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
	if len(words) > 0 && weekday(words[0]) {
		words = words[1:]
	}
	loc := time.UTC
	if n := len(words); n > 0 {
		if z, ok := zoneOf(words[n-1]); ok {
			loc, words = z, words[:n-1]
		}
	}
	var kept []string
	for _, w := range words {
		switch lw := strings.ToLower(w); {
		case lw == "at" || lw == "um" || lw == "à":
		case lw == "am" || lw == "pm" || lw == "a.m." || lw == "p.m.":
			kept = append(kept, strings.ToUpper(strings.ReplaceAll(lw, ".", "")))
		default:
			kept = append(kept, w)
		}
	}
	v := strings.Join(kept, " ")
	for _, layout := range dateLayouts {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t
		}
	}
	return time.Time{}
}

var dateLayouts = func() []string {
	var out []string
	for _, d := range []string{"2 January 2006", "2 Jan 2006", "January 2 2006", "Jan 2 2006", "2/1/2006", "2006-01-02"} {
		for _, t := range []string{"15:04:05", "15:04", "3:04:05 PM", "3:04 PM", "3 PM"} {
			out = append(out, d+" "+t)
		}
		out = append(out, d)
	}
	return out
}()

func weekday(w string) bool {
	w = strings.ToLower(strings.TrimRight(w, "."))
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if w == name || w == name[:3] {
			return true
		}
	}
	return w == "tues" || w == "thur" || w == "thurs"
}

// zones are the abbreviations Apple Mail and others print; RFC 5322
// section 4.3 lists the North American ones.
var zones = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "BST": 1, "CET": 1, "CEST": 2, "WET": 0, "WEST": 1,
	"EET": 2, "EEST": 3, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
	"PST": -8, "PDT": -7,
}

func zoneOf(w string) (*time.Location, bool) {
	if h, ok := zones[strings.ToUpper(w)]; ok {
		return time.FixedZone(strings.ToUpper(w), h*3600), true
	}
	// Apple Mail in some locales: "GMT+1", "GMT+05:30".
	if rest, ok := strings.CutPrefix(strings.ToUpper(w), "GMT"); ok && len(rest) > 1 && (rest[0] == '+' || rest[0] == '-') {
		hh, mm, _ := strings.Cut(rest[1:], ":")
		h, errH := strconv.Atoi(hh)
		m, errM := strconv.Atoi(cmp.Or(mm, "0"))
		if errH == nil && errM == nil && h <= 14 && m < 60 {
			off := h*3600 + m*60
			if rest[0] == '-' {
				off = -off
			}
			return time.FixedZone("", off), true
		}
	}
	if len(w) == 5 && (w[0] == '+' || w[0] == '-') {
		if t, err := time.Parse("-0700", w); err == nil {
			return t.Location(), true
		}
	}
	return nil, false
}
