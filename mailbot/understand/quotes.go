package understand

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fresh returns what the person wrote in this message, from the plain text
// of its body: the quoted history their mail client added is removed, and
// so are their signature, a closing "Thanks, Mary" and a legal footer.
//
// These lines are history:
//   - a line quoted with ">" (RFC 3676 section 4.5). Lines between quoted
//     blocks are kept, so an interleaved or bottom-posted reply keeps
//     every line the person wrote;
//   - an attribution, "On <date>, <sender> wrote:" and its forms in other
//     clients and languages, even wrapped over two or three lines. Followed
//     by ">" lines it goes alone; followed by unmarked text (Yahoo, HTML
//     turned into text) it goes with everything after it, but only when it
//     names an address, or starts like one ("On", "Am", "Le"…) and has a
//     date: "On Tuesday I can come" is the person's;
//   - an Outlook header block ("From: … Sent: … To: … Subject: …", in the
//     languages in fieldNames), an "-----Original Message-----" line, a
//     rule of "_" or "-" above a From: line, or a forward marker: each goes
//     with everything after it, unless ">" lines follow.
//
// In what is left, a line "-- " (RFC 3676 section 4.3) or the start of a
// legal footer ends that run of the person's lines; whole lines such as
// "Sent from my iPhone", "Get Outlook for Android", "[cid:image001.png]"
// and an "external sender" banner are dropped; and the last run loses a
// sign-off ("Kind regards") when all under it is a name and signature.
//
// It is conservative: when removing everything would leave nothing, Fresh
// keeps the text above the first quote marker, else the person's own lines
// as written, so "Thanks, Mary" alone or "Sent from my iPhone" alone comes
// back as it was. Text that is nothing but quoted history gives "".
// Its cost is linear in the length of text.
func Fresh(text string) string {
	fresh, _ := freshAndSignature(text, "")
	return fresh
}

// freshAndSignature is Fresh, and the signature it cut from the end of the
// person's words: the phone number in it is still theirs. name is the
// writer's display name, when known: their own name alone on a line
// starts their signature, whatever follows it.
func freshAndSignature(text, name string) (fresh, signature string) {
	lines := splitLines(text)
	runs, under, first := ownRuns(lines)
	tidy := make([][]string, len(runs))
	own := make([][]string, len(runs))
	last := -1
	for i, r := range runs {
		own[i] = dropNoise(pointedAt(r, under[i]))
		tidy[i] = trimBlank(cutFooter(cutSignature(own[i])))
		if len(tidy[i]) > 0 {
			last = i
		}
	}
	if last >= 0 {
		// A sign-off closes the message, so only the person's last lines
		// can end with one. The signature is all below what they wrote,
		// the "-- " block too: its phone number is theirs.
		tidy[last] = trimBlank(cutNameSignature(cutSignOff(cutOwnName(tidy[last], name))))
		lead := 0
		for lead < len(own[last]) && bare(own[last][lead]) == "" {
			lead++
		}
		signature = strings.Join(own[last][lead+len(tidy[last]):], "\n")
	}
	if s := joinRuns(tidy); s != "" {
		return s, signature
	}
	if s := strings.Join(trimBlank(lines[:first]), "\n"); s != "" {
		return s, ""
	}
	for i, r := range runs {
		runs[i] = trimBlank(r)
	}
	return joinRuns(runs), ""
}

// ownRuns splits lines into the runs the person wrote, between quoted
// blocks, and says where the first quote marker is (len(lines) if none).
// under is, for each run, the number of the item of a numbered list the
// quote just above it ends with (0 if none): the item an interleaved
// "this one please" points at.
func ownRuns(lines []string) (runs [][]string, under []int, first int) {
	first = len(lines)
	var run []string
	item, inItem := 0, false // the last list item quoted above, and whether its lines go on
	endRun := func() {
		if len(run) > 0 {
			runs, under = append(runs, run), append(under, item)
			run, inItem = nil, false
		}
	}
	for i := 0; i < len(lines); {
		if isQuoted(lines[i]) {
			first = min(first, i)
			endRun()
			// Only an item the quote ends with is pointed at: its own
			// lines follow it, wrapped or indented; after a blank line,
			// any line but an indented one ends it.
			q := strings.TrimLeft(strings.TrimLeft(lines[i], " \t"), ">")
			switch m := quotedItem.FindStringSubmatch(lines[i]); {
			case m != nil:
				item, _ = strconv.Atoi(m[1])
				inItem = true
			case bare(q) == "":
				inItem = false
			case !inItem && !strings.HasPrefix(strings.TrimPrefix(q, " "), " "):
				item = 0
			}
			i++
			continue
		}
		if mk := historyAt(lines, i); mk.n > 0 {
			first = min(first, i)
			endRun()
			item = 0
			if mk.rest {
				break
			}
			i += mk.n
			continue
		}
		run = append(run, lines[i])
		i++
	}
	endRun()
	return runs, under, first
}

// quotedItem is a quoted line that opens an item of a numbered list.
var quotedItem = regexp.MustCompile(`^\s*>[>\s]*(\d{1,2})[.)]\s+\S`)

// pointAt is what, in a short run written under a quoted list item, points
// at that item: "This one please", "Not this one, I work Thursdays".
var pointAt = regexp.MustCompile(`(?i)\b(?:this|that) one\b|\bthat'?s the one\b`)

// pointedAt writes the item a run points at as its number, so that "yes
// this one please" under item 2 reads as "yes number 2 please".
func pointedAt(run []string, item int) []string {
	if item == 0 || len(trimBlank(run)) > 4 {
		return run
	}
	out := make([]string, len(run))
	for i, l := range run {
		out[i] = pointAt.ReplaceAllLiteralString(l, "number "+strconv.Itoa(item))
	}
	return out
}

// joinRuns puts the person's runs back together, a blank line between
// runs that sat either side of a quote.
func joinRuns(runs [][]string) string {
	var parts []string
	for _, r := range runs {
		if len(r) > 0 {
			parts = append(parts, strings.Join(r, "\n"))
		}
	}
	return strings.Join(parts, "\n\n")
}

// splitLines gives text one kind of line ending and no trailing spaces.
func splitLines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return lines
}

// bare is a line without the white space clients pad it with, including
// the no-break and zero-width spaces Gmail and Apple Mail put in quotes.
func bare(l string) string {
	return strings.TrimFunc(l, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff'
	})
}

func isQuoted(l string) bool {
	return strings.HasPrefix(strings.TrimLeft(l, " \t"), ">")
}

func trimBlank(lines []string) []string {
	for len(lines) > 0 && bare(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && bare(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// Markers are short: longer lines are text, and skipping them keeps the
// cost of Fresh linear in the length of its input.
const (
	maxMarkerLen   = 400
	maxLookahead   = 4  // blank lines between a marker and what it marks
	maxBlockLines  = 16 // lines an Outlook header block may span
	maxAttribLines = 5
)

type markerKind int

const (
	attributionMark markerKind = iota + 1
	headerBlockMark
	separatorMark
	forwardMark
)

type marker struct {
	n    int  // lines the marker spans; 0 when there is none
	rest bool // everything after it is history too
	kind markerKind
}

// historyAt says whether lines[i] starts the history part of a reply.
func historyAt(lines []string, i int) marker {
	l := bare(lines[i])
	if l == "" || len(l) > maxMarkerLen {
		return marker{}
	}
	if isForwardMarker(l) {
		return marker{n: 1, rest: true, kind: forwardMark}
	}
	if _, ok := oneLineForward(l); ok {
		return marker{n: 1, rest: true, kind: forwardMark}
	}
	if isSeparator(lines, i) {
		// Outlook can prefix the old message with ">" under its header:
		// then only the separator and header go, and the person's lines
		// between the quotes stay.
		n := 1
		if j := nextNonBlank(lines, i+1); j >= 0 {
			if bn, _ := readBlock(lines, j); bn > 0 {
				n = j - i + bn
			}
		}
		return marker{n: n, rest: !quotedNext(lines, i+n), kind: separatorMark}
	}
	if n, f := readBlock(lines, i); n > 0 && outlookBlock(f) {
		return marker{n: n, rest: !quotedNext(lines, i+n), kind: headerBlockMark}
	}
	if n, strong := attribution(lines, i); n > 0 {
		if quotedNext(lines, i+n) {
			return marker{n: n, kind: attributionMark}
		}
		if strong {
			return marker{n: n, rest: true, kind: attributionMark}
		}
	}
	return marker{}
}

// nextNonBlank is the index of the first non-blank line at or after i,
// within maxLookahead lines, or -1.
func nextNonBlank(lines []string, i int) int {
	for j := i; j < len(lines) && j < i+maxLookahead; j++ {
		if bare(lines[j]) != "" {
			return j
		}
	}
	return -1
}

func quotedNext(lines []string, i int) bool {
	j := nextNonBlank(lines, i)
	return j >= 0 && isQuoted(lines[j])
}

// forwardPhrases are whole lines that introduce a forwarded message, once
// the dashes around them and a final colon are gone: Gmail's
// "---------- Forwarded message ---------", Thunderbird's
// "-------- Forwarded Message --------", Apple Mail's "Begin forwarded
// message:", and their translations.
var forwardPhrases = map[string]bool{
	"forwarded message": true, "forwarded message follows": true, "begin forwarded message": true,
	"forwarded e-mail": true, "forwarded email": true, "forwarded mail": true,
	"weitergeleitete nachricht": true, "anfang der weitergeleiteten nachricht": true,
	"message transféré": true, "début du message réexpédié": true, "début du message transféré": true,
	"mensaje reenviado": true, "inicio del mensaje reenviado": true, "comienzo del mensaje reenviado": true,
	"messaggio inoltrato": true, "inizio messaggio inoltrato": true,
	"doorgestuurd bericht": true, "begin doorgestuurd bericht": true,
	"mensagem encaminhada": true, "início da mensagem reencaminhada": true, "início da mensagem encaminhada": true,
	"wiadomość przekazana dalej": true, "początek przekazywanej wiadomości": true,
	"videresendt melding": true, "videresendt meddelelse": true, "vidarebefordrat meddelande": true,
	"edelleenlähetetty viesti": true, "přeposlaná zpráva": true, "пересылаемое сообщение": true,
	"neges wedi'i hanfon ymlaen": true, "転送されたメッセージ": true, "转发的邮件": true,
	"message transmis": true, "mensagem reencaminhada": true, "mesaj redirecționat": true,
	"wiadomość przesłana dalej": true, "przekazana wiadomość": true, "treść przekazanej wiadomości": true,
	"välitetty viesti": true, "välitetty viesti alkaa": true, "fwd.msg": true, "proslijeđena poruka": true,
	"továbbított üzenet": true, "továbbított levél kezdete": true, "preposlaná správa": true,
	"začátek přeposílané zprávy": true, "vidarebefordrat mejl": true, "iletilen ileti": true,
	"iletilmiş mesaj": true, "ileti başlangıcı": true, "перенаправленное сообщение": true,
	"переслане повідомлення": true, "перенаправлене повідомлення": true, "メッセージを転送": true,
	"start på videresendt besked": true, "započni proslijeđenu poruku": true, "începe mesajul redirecționat": true,
	"начало переадресованного сообщения": true, "začiatok preposlanej správy": true,
	"початок листа, що пересилається": true,
}

// originalPhrases name the old message under Outlook's, AOL's and old
// webmail's "-----Original Message-----" line.
var originalPhrases = map[string]bool{
	"original message": true, "original e-mail": true, "original email": true, "reply message": true,
	"ursprüngliche nachricht": true, "original-nachricht": true, "originalnachricht": true,
	"message d'origine": true, "message d’origine": true, "message original": true,
	"mensaje original": true, "messaggio originale": true, "oorspronkelijk bericht": true,
	"mensagem original": true, "oprindelig meddelelse": true, "opprinnelig melding": true,
	"ursprungligt meddelande": true, "wiadomość oryginalna": true, "alkuperäinen viesti": true,
	"původní zpráva": true, "исходное сообщение": true, "neges wreiddiol": true,
}

// phrase is a marker line without its dashes, spaces and final colon,
// lower case. Turkish "İ" lower-cases to "i" and a combining dot, which
// nobody types.
func phrase(l string) string {
	l = strings.Trim(l, "-–—_=* \t:")
	return strings.ReplaceAll(strings.ToLower(strings.Join(strings.Fields(l), " ")), "\u0307", "")
}

// isForwardMarker reports a forward marker line. Thunderbird in some
// languages gives two names for it: "Välitetty viesti / Fwd.Msg",
// "Preposlaná správa --- Forwarded Message".
func isForwardMarker(l string) bool {
	p := phrase(l)
	if forwardPhrases[p] {
		return true
	}
	for _, sep := range []string{" / ", " --- "} {
		if a, b, ok := strings.Cut(p, sep); ok && (forwardPhrases[phrase(a)] || forwardPhrases[phrase(b)]) {
			return true
		}
	}
	return false
}

// isSeparator reports a line that only divides the reply from the old
// message: "-----Original Message-----" in any language, or a rule of
// dashes or underscores (Outlook's 32 "_") with a From: line under it.
func isSeparator(lines []string, i int) bool {
	l := bare(lines[i])
	if strings.HasPrefix(l, "--") && originalPhrases[phrase(l)] {
		return true
	}
	rule := len(l) >= 8 && strings.Trim(l, "-_=") == ""
	dashed := strings.HasPrefix(l, "-----") && strings.HasSuffix(l, "-----")
	if !rule && !dashed {
		return false
	}
	j := nextNonBlank(lines, i+1)
	if j < 0 {
		return false
	}
	name, _, ok := fieldLine(lines[j])
	return ok && name == "from"
}

// attribution reports the line(s) a reply puts above the quoted message:
// "On Tue, 3 Aug 2027 at 10:15, Better Days <…> wrote:". It returns how
// many lines it spans (Gmail wraps a long one onto a second line) and
// whether it is strong: sure enough to be history even with no ">" lines
// under it.
func attribution(lines []string, i int) (n int, strong bool) {
	l := bare(lines[i])
	if ok, st := attributionText(l); ok {
		return 1, st
	}
	// Wrapped: the first line must start the way attributions start, and
	// no later line may start one of its own ("On Tuesday I can come"
	// above a real attribution stays the person's).
	if !startsAttribution(l) && !(hasDigit(l) && strings.Contains(l, "@")) {
		return 0, false
	}
	if strings.HasSuffix(l, ".") || strings.HasSuffix(l, "?") || strings.HasSuffix(l, "!") {
		return 0, false
	}
	joined, blanks := l, 0
	for k := 1; k < maxAttribLines && i+k < len(lines); k++ {
		next := bare(lines[i+k])
		if next == "" {
			// Polymail and Gmail's HTML turned into text leave blank
			// lines in one: "On Tue, …, John Smith\n\n<\nmailto:…>\n> wrote:".
			if blanks++; blanks > 1 || !startsAttribution(l) || !hasDigit(l) {
				break
			}
			continue
		}
		// A ">" that closes an address broken over lines is no quote.
		if isQuoted(lines[i+k]) && strings.Count(joined, "<") <= strings.Count(joined, ">") || startsAttribution(next) {
			break
		}
		joined += " " + next
		if len(joined) > maxMarkerLen {
			break
		}
		if ok, st := attributionText(joined); ok && (startsAttribution(l) || strings.Contains(joined, "@")) {
			return k + 1, st
		}
	}
	return 0, false
}

// wroteWords end an attribution line before its colon, in the languages
// of the mail clients our users have.
var wroteWords = []string{
	"wrote", "writes", "schrieb", "a écrit", "escribió", "escribio", "ha scritto", "scrisse",
	"schreef", "escreveu", "skrev", "kirjoitti", "napisał(a)", "napisał", "napisała", "pisze",
	"ysgrifennodd", "yazdı", "написал(а)", "написал", "написала", "написав", "a scris", "írta",
	"napsal(a)", "napsal", "geschreven", "följande", "napísal", "rašė", "rakstīja", "kirjutas", "έγραψε", "כתב", "كتب", "写道", "寫道",
}

// attribStarts begin attributions: "On" (English), "Am" (German), "Le"
// (French), "El" (Spanish), "Il" (Italian), "Op" (Dutch), "Em"
// (Portuguese), "Den" (Scandinavian), "W dniu" (Polish), "Ar" (Welsh),
// "Pe" (Romanian), "Dne" (Czech), "Quoting" (Horde and old webmail).
var attribStarts = []string{
	"on ", "am ", "le ", "el ", "il ", "op ", "em ", "den ", "w dniu ", "ar ", "pe ", "dne ",
	"quoting ", "zitat von ", "citando ", "citation de ",
}

func startsAttribution(l string) bool {
	low := strings.ToLower(l)
	for _, s := range attribStarts {
		if strings.HasPrefix(low, s) {
			return true
		}
	}
	return false
}

// attributionText reports whether s, one line or several joined, is an
// attribution, and whether it is strong: it names an address, or it
// starts like one and carries a date.
//
// Some clients leave the colon off: Zoho and Android frame it in dashes
// ("---- On Wed, 14 Nov 2018 10:02:11 +0000 Mary <m@…> wrote ----",
// "---- Mary wrote ----"), and others write "… Mary <m@…> wrote" or
// "2011/4/7 Mary <m@…>". Without its colon a line is an attribution only
// when framed so or when it names an address in angle brackets, so "On
// 15 July my daughter wrote" stays the person's.
func attributionText(s string) (ok, strong bool) {
	if len(s) > maxMarkerLen {
		return false, false
	}
	dashed := strings.HasPrefix(s, "---") && strings.HasSuffix(s, "---")
	if dashed {
		s = strings.TrimSpace(strings.Trim(s, "-"))
	}
	body, colon := strings.CutSuffix(s, ":")
	if !colon {
		body, colon = strings.CutSuffix(s, "：")
	}
	// Most lines are none: leave them before the copy ToLower makes.
	if !colon && !dashed && (!strings.Contains(body, "@") || !angleAddress.MatchString(body)) {
		return false, false
	}
	body = strings.ToLower(strings.TrimRightFunc(body, unicode.IsSpace))
	at := strings.Contains(body, "@")
	starts := startsAttribution(body)
	for _, w := range wroteWords {
		rest, found := strings.CutSuffix(body, w)
		if !found {
			continue
		}
		if r, _ := utf8.DecodeLastRuneInString(rest); rest != "" && unicode.IsLetter(r) && w[0] < utf8.RuneSelf {
			continue // "rewrote" is not "wrote"
		}
		return true, at || dashed || (starts && hasDigit(body))
	}
	if !colon && !dashed && !datedStart(body) {
		return false, false
	}
	if strings.HasSuffix(body, " sent") && at {
		return true, true // "On 11-Apr-2011, at 6:54 PM, Mary <m@…> sent:"
	}
	for _, p := range []string{"quoting ", "zitat von ", "citando ", "citation de "} {
		if strings.HasPrefix(body, p) {
			return true, at
		}
	}
	// No word for "wrote": "26.06.2014, 14:41, "Mary" <mary@…>:" (Yandex),
	// "Thu, 26 Jun 2014 14:00:51 +0400 от Mary <mary@…>:" (Mail.ru). Strong
	// when it starts with the date or the way attributions start; else,
	// as Gmail's Russian "пт, 3 авг. 2027 г. в 10:15, Mary <mary@…>:", only
	// with ">" lines under it.
	if strings.HasSuffix(body, ">") && at && hasDigit(body) {
		return true, starts || datedStart(body)
	}
	return false, false
}

var angleAddress = regexp.MustCompile(`<[^<>\s]+@[^<>\s]+>`)

// datedStart reports whether s starts with a date or time, or an English
// day name: "30.09.2017, …", "11:00 AM, …", "Wednesday, 17 November …".
func datedStart(s string) bool {
	if s != "" && s[0] >= '0' && s[0] <= '9' {
		return true
	}
	first, _, _ := strings.Cut(s, " ")
	return weekday(strings.TrimRight(first, ","))
}

func hasDigit(s string) bool {
	return strings.ContainsAny(s, "0123456789")
}

// dropNoise removes lines that are not words at all: the "[cid:image001…]"
// and "[image: logo.png]" placeholders Outlook and Gmail leave for
// pictures, mobile "Sent from my iPhone" lines, and the "CAUTION: This
// email originated from outside the organisation" banner an organisation's
// mail server puts above what the person wrote.
func dropNoise(lines []string) []string {
	out := lines[:0:0]
	for i := 0; i < len(lines); i++ {
		l := bare(lines[i])
		low := strings.ToLower(l)
		if (strings.HasPrefix(low, "[cid:") || strings.HasPrefix(low, "[image:")) && strings.HasSuffix(low, "]") {
			continue
		}
		if isMobileSignature(low) {
			// The phone puts it under all the person wrote: Outlook
			// for Android's "Get Outlook for Android" has the old message
			// under it unmarked.
			break
		}
		if isBanner(low) {
			for i+1 < len(lines) && bare(lines[i+1]) != "" {
				i++
			}
			continue
		}
		out = append(out, lines[i])
	}
	return out
}

var bannerStarts = []string{
	"caution: this email originated", "caution: this e-mail originated", "caution: external",
	"external email:", "external e-mail:", "[external]", "this email originated from outside",
	"this message originated from outside", "warning: this email originated from outside",
}

func isBanner(low string) bool {
	for _, s := range bannerStarts {
		if strings.HasPrefix(low, s) {
			return true
		}
	}
	return false
}

// Mobile clients add one line under what the person wrote. It is dropped
// only as a whole line naming a device or a mail app, so "Sent from my
// son's email, please book me" is kept.
var mobileStarts = []string{
	"sent from my ", "sent from ", "sent via ", "sent using ", "sent with ", "get outlook for ",
	"envoyé de mon ", "envoyé depuis ", "von meinem ", "gesendet von ", "enviado desde mi ",
	"enviado do meu ", "inviato da ", "verzonden vanaf mijn ", "verstuurd vanaf mijn ",
	"wysłane z ", "skickat från min ", "sendt fra min ", "lähetetty ", "отправлено с ",
}

var mobileWords = []string{
	"iphone", "ipad", "android", "galaxy", "samsung", "blackberry", "mobile", "phone", "outlook",
	"yahoo", "aol", "gmail", "proton", "mail for windows", "huawei", "pixel", "tablet", "xiaomi",
	"motorola", "nokia", "oneplus", "sony", "xperia", "oppo", "bt email", "sky email", "tiscali",
	"virgin media", "windows", "smartphone", "handy", "ios", "spark", "edison", "bluemail",
}

func isMobileSignature(low string) bool {
	if utf8.RuneCountInString(low) > 80 {
		return false
	}
	starts := false
	for _, s := range mobileStarts {
		if strings.HasPrefix(low, s) {
			starts = true
			break
		}
	}
	if !starts {
		return false
	}
	for _, w := range mobileWords {
		if strings.Contains(low, w) {
			return true
		}
	}
	return false
}

// cutSignature removes everything from the signature separator on: "-- "
// on a line of its own (RFC 3676 section 4.3), which arrives as "--" once
// trailing spaces are gone.
func cutSignature(lines []string) []string {
	for i, l := range lines {
		if l == "--" || l == "-- " || strings.TrimSpace(l) == "--" {
			return lines[:i]
		}
	}
	return lines
}

// footerStarts begin the legal and "please don't print" notices an
// organisation's mail server or a signature puts under a message: from
// there to the end of the person's text is footer.
var footerStarts = []string{
	"this email and any", "this e-mail and any", "this message and any", "this email is confidential",
	"this e-mail is confidential", "this message is confidential", "this email may contain",
	"this e-mail may contain", "this message may contain", "this email is intended",
	"this e-mail is intended", "this message is intended", "the information in this email",
	"the information in this e-mail", "the information in this message", "the information contained in this",
	"confidentiality notice", "confidentiality:", "confidential:", "disclaimer", "important notice:",
	"if you are not the intended recipient", "if you have received this email in error",
	"if you have received this e-mail in error", "please consider the environment",
	"think before you print", "please think before you print", "please don't print this",
	"this email has been scanned", "this e-mail has been scanned", "this email was scanned",
	"any views or opinions", "the views expressed in this", "privileged and confidential",
	"privileged/confidential", "emails are not secure", "e-mails are not secure",
	"communications with the council may be monitored", "all communications may be monitored",
}

func cutFooter(lines []string) []string {
	for i, l := range lines {
		// A mailing list's footer: Mailman's rule, then "riak-users
		// mailing list", its address and its link.
		if b := bare(l); len(b) >= 2 && strings.Trim(b, "_") == "" {
			if j := nextNonBlank(lines, i+1); j >= 0 && strings.HasSuffix(strings.ToLower(bare(lines[j])), "mailing list") {
				return lines[:i]
			}
		}
		low := strings.ToLower(bare(strings.TrimLeft(l, "*_ ")))
		for _, s := range footerStarts {
			if strings.HasPrefix(low, s) {
				return lines[:i]
			}
		}
	}
	return lines
}

// signOffs close a message, alone on their line; trailing punctuation and
// kisses ("Thanks x") don't matter.
var signOffs = map[string]bool{
	"thanks": true, "thank you": true, "thanks again": true, "thank you again": true, "many thanks": true,
	"thanks very much": true, "thank you very much": true, "thanks so much": true, "thank you so much": true,
	"thanks in advance": true, "many thanks in advance": true, "with thanks": true, "with many thanks": true,
	"thanks a lot": true, "thanks very much indeed": true, "thank you kindly": true, "ta": true, "thx": true,
	"regards": true, "kind regards": true, "kindest regards": true, "best regards": true, "warm regards": true,
	"warmest regards": true, "many regards": true, "with regards": true, "with kind regards": true,
	"with best regards": true, "best wishes": true, "with best wishes": true, "warm wishes": true,
	"all the best": true, "best": true, "cheers": true, "yours": true, "yours sincerely": true,
	"sincerely": true, "yours faithfully": true, "yours truly": true, "take care": true, "love": true,
	"lots of love": true, "with love": true, "bw": true, "kr": true, "br": true, "speak soon": true,
	"see you soon": true, "cofion": true, "cofion cynnes": true, "diolch": true, "mvg": true, "lg": true,
	"mit freundlichen grüßen": true, "viele grüße": true, "cordialement": true, "saludos": true,
	"un saluto": true, "cordiali saluti": true, "pozdrawiam": true, "met vriendelijke groet": true,
}

// signOffLine reports whether l is a sign-off, alone or followed by a
// name on the same line ("Thanks, Mary x", "Kind regards - John Smith").
func signOffLine(l string) bool {
	b := trimKisses(bare(l))
	if signOffs[strings.ToLower(strings.TrimRight(b, ",.!;:- "))] {
		return true
	}
	words := strings.Fields(b)
	for k := 1; k < len(words) && k <= 4; k++ {
		head := strings.ToLower(strings.TrimRight(strings.Join(words[:k], " "), ",.!;:-"))
		if !signOffs[head] {
			continue
		}
		name := strings.TrimLeft(strings.Join(words[k:], " "), "-–—,: ")
		if isName(name, true) {
			return true
		}
	}
	return false
}

func trimKisses(s string) string {
	for {
		t := strings.TrimRight(s, " ")
		if !strings.HasSuffix(t, " x") && !strings.HasSuffix(t, " xx") && !strings.HasSuffix(t, " xxx") &&
			!strings.HasSuffix(t, " X") && !strings.HasSuffix(t, " XX") {
			return t
		}
		s = t[:strings.LastIndexByte(t, ' ')]
	}
}

// isName says whether l could be someone's name as they sign it: one to
// four words of letters, each with a capital ("Mary", "Mrs J. Smith",
// "Mary & Dave"), or one short word in any case ("mary").
func isName(l string, capitals bool) bool {
	l = trimKisses(strings.TrimRight(l, ",.!"))
	words := strings.Fields(l)
	if len(words) == 0 || len(words) > 4 || utf8.RuneCountInString(l) > 40 {
		return false
	}
	for _, w := range words {
		if w == "&" || w == "and" {
			continue
		}
		for _, r := range w {
			if !unicode.IsLetter(r) && r != '.' && r != '-' && r != '\'' && r != '’' {
				return false
			}
		}
		if r, _ := utf8.DecodeRuneInString(w); !unicode.IsUpper(r) && (capitals || len(words) > 1 || len(w) > 15) {
			return false
		}
	}
	return true
}

// isSignatureLine says whether a line under a name looks like the rest of
// a signature: a title or an organisation in Title Case, a telephone
// number, an address or a web link.
func isSignatureLine(l string) bool {
	l = bare(l)
	if utf8.RuneCountInString(l) > 60 || strings.ContainsRune(l, '?') {
		return false
	}
	low := strings.ToLower(l)
	if hasDigit(l) || strings.Contains(l, "@") || strings.Contains(low, "www.") || strings.Contains(low, "http") {
		return true
	}
	// "Learning Disability Partnership Board, community rep": the name
	// of an organisation or a title, in strict Title Case, before a
	// comma, bar or slash, makes the line a signature's.
	if head, _, ok := strings.Cut(strings.NewReplacer("|", ",", "/", ",", " - ", ",").Replace(l), ","); ok && titleCase(head) {
		return true
	}
	words, capital := 0, 0
	for _, w := range strings.Fields(l) {
		if utf8.RuneCountInString(w) < 3 {
			continue
		}
		words++
		if r, _ := utf8.DecodeRuneInString(w); unicode.IsUpper(r) || !unicode.IsLetter(r) {
			capital++
		}
	}
	return words > 0 && capital*10 >= words*7
}

// titleCase reports whether s is two or more words, each capitalised
// but for short joining words ("Friends of the Earth").
func titleCase(s string) bool {
	n := 0
	for _, w := range strings.Fields(s) {
		switch r, _ := utf8.DecodeRuneInString(w); {
		case unicode.IsUpper(r):
			n++
		case smallWords[w]:
		default:
			return false
		}
	}
	return n >= 2
}

var smallWords = map[string]bool{"of": true, "and": true, "for": true, "the": true, "&": true, "in": true, "on": true, "at": true}

// cutSignOff removes a closing "Kind regards" and the name and signature
// under it from the end of the person's text. It only looks at the last
// few lines, and only cuts when everything under the sign-off is a name
// and signature lines, so "Thanks!\nCan I bring my wife\nMary" is kept.
func cutSignOff(lines []string) []string {
	lines = trimBlank(lines)
	const maxTail = 8
	for k := len(lines) - 1; k >= 0 && k >= len(lines)-maxTail; k-- {
		if !signOffLine(lines[k]) {
			continue
		}
		if signatureUnder(lines[k+1:]) {
			return lines[:k]
		}
	}
	return lines
}

// cutNameSignature removes a signature that starts with the writer's name
// and no sign-off ("Please book me on 15 July.\n\nCath Davies\nLearning
// Disability Partnership Board, community rep"): a name alone on its line
// after a finished sentence or a blank line, then nothing but signature
// lines, at least one. Job titles and organisations are full of session
// words ("learning", "community", "support") and must never choose one.
// A list of titles after "Book me on:" is not finished, and stays.
func cutNameSignature(lines []string) []string {
	lines = trimBlank(lines)
	const maxTail = 8
	for k := len(lines) - 2; k >= 1 && k >= len(lines)-maxTail; k-- {
		if !isName(bare(lines[k]), true) || !finished(lines[k-1]) {
			continue
		}
		if signatureUnder(lines[k:]) {
			return lines[:k]
		}
	}
	return lines
}

// cutOwnName removes the writer's signature where it starts with their
// own name: "Kind regards\n\nHelen Dawson\nOccupational Therapist |
// Community Learning Disability Team\nPromoting Independence Service",
// "Thanks\nChloe\n\nChloe Hurst (she/her)\nI'm on leave 22nd June – 6th
// July", "I'm bringing my son - Pat\n\nPat Kingdom - Mum & carer -
// \"Support, Learning, Independence\"". Job titles, organisations,
// slogans and leave dates are full of session words and dates, and no
// rule for what a signature line looks like catches them all; the
// writer's name, from their From, does. The name must stand alone on its
// line (or open it, before a dash or bar) after a finished line, a
// sign-off or a blank one, within the message's last lines; a P.S. below
// it keeps everything.
func cutOwnName(lines []string, name string) []string {
	names := ownNames(name)
	if len(names) == 0 {
		return lines
	}
	lines = trimBlank(lines)
	const maxTail = 16
	cut := -1
	for k := len(lines) - 1; k >= 1 && k >= len(lines)-maxTail; k-- {
		l := bare(lines[k])
		if postScript.MatchString(strings.ToLower(l)) {
			return lines
		}
		before := lines[k-1]
		if ownNameLine(l, names) && (finished(before) || signOffLine(before)) {
			cut = k
			if signOffLine(before) {
				cut = k - 1
			}
		}
	}
	if cut < 1 {
		return lines
	}
	return lines[:cut]
}

// postScript opens a P.S.: words after a signature that are still the
// person's.
var postScript = regexp.MustCompile(`^p\.?\s?s\b`)

// ownNames are the forms of a display name a person signs with: all of
// it and the first name ("Mary Jones", "Mary"); "Jones, Mary" is Mary
// Jones. Names of one letter, or that look like an address, are none.
func ownNames(name string) []string {
	name = strings.ToLower(strings.Trim(OneLine(name), `"' `))
	if last, first, ok := strings.Cut(name, ","); ok {
		name = strings.TrimSpace(first) + " " + strings.TrimSpace(last)
	}
	if strings.ContainsAny(name, "@<>") {
		return nil
	}
	fields := strings.Fields(name)
	if len(fields) == 0 || utf8.RuneCountInString(fields[0]) < 2 {
		return nil
	}
	out := []string{strings.Join(fields, " ")}
	if len(fields) > 1 {
		out = append(out, fields[0])
	}
	return out
}

// ownNameLine reports whether l is one of names, alone ("Chloe",
// "- Pat", "Derek Bailey (Mr)", "Mary x") or opening a signature line
// before a separator ("Pat Kingdom - Mum & carer").
func ownNameLine(l string, names []string) bool {
	l = strings.ToLower(strings.TrimSpace(strings.TrimLeft(trimKisses(l), "-–—~ ")))
	if i := strings.IndexByte(l, '('); i > 0 {
		l = strings.TrimSpace(l[:i]) // "(Mr)", "(she/her)"
	}
	l = strings.TrimRight(l, ",.! ")
	for _, n := range names {
		if l == n {
			return true
		}
		if rest, ok := strings.CutPrefix(l, n); ok && strings.ContainsRune(n, ' ') {
			if rest = strings.TrimLeft(rest, " "); rest != "" && strings.ContainsRune("-–—|/,", []rune(rest)[0]) {
				return true
			}
		}
	}
	return false
}

// finished reports whether the line before a signature ends what came
// before it: blank, or ending a sentence.
func finished(l string) bool {
	l = strings.TrimSpace(bare(l))
	return l == "" || strings.ContainsAny(l[len(l)-1:], ".!?)")
}

// signatureUnder says whether lines (under a sign-off) are a name, then
// signature lines, or nothing.
func signatureUnder(lines []string) bool {
	seenName := false
	for _, l := range lines {
		if bare(l) == "" {
			continue
		}
		if !seenName {
			if !isName(bare(l), false) {
				return false
			}
			seenName = true
			continue
		}
		if !isSignatureLine(l) {
			return false
		}
	}
	return true
}
