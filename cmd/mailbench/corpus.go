package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"time"
)

// letter is one message from a member of the public, as their mail client
// sent it and a receiving server stored it: trace and DKIM headers, a
// text and an HTML part, a signature, and sometimes the council mail it
// answers quoted below. The same i always gives the same letter, and every
// i has its own sender, so the bot's per-sender reply limit never bites.
type letter struct {
	kind      string // what it asks: list, help, book, dropin, subscribe, cancel
	from      string // lower-case address
	name      string
	messageID string // without angle brackets
	date      time.Time
	raw       []byte // CRLF line endings
}

// request is one kind of thing people write, with the words they use.
// Dates and titles are the demo timetable's (mailbot/demo-timetable.csv),
// some of them wrong or vague on purpose, as people write them.
type request struct {
	kind     string
	weight   int
	subjects []string
	texts    []string
}

var requests = []request{
	{"list", 5,
		[]string{"what's on?", "Sessions", "Better Days", "Better Days sessions", "Timetable please"},
		[]string{
			"what's on?",
			"What sessions are there?",
			"Hello, could you send me the list of sessions please? I saw the poster in the library.",
			"Hi, what's coming up over the summer? I care for my mum so mornings are easier.",
			"Can you tell me what dates the group conversations are on.",
		}},
	{"help", 3,
		[]string{"help", "Question", "Better Days", "How does this work"},
		[]string{
			"help",
			"Hello, how does this work? My daughter gave me this address.",
			"I got this address from a leaflet at the surgery, what do I do?",
		}},
	{"book", 6,
		[]string{"Booking", "Book me in please", "New to caring", "Re: Better Days sessions", "Place for 15 July"},
		[]string{
			"Please book me on New to caring on 10 August.",
			"Please book me on New to caring on 15 July",
			"Hello, could you book me and my husband on 15 July? I use a wheelchair. My number is 01305 221000.",
			"Can I come to the learning new skills one on 6 July please",
			"I'd like a place on Accessing the local community, 21 July. Thank you.",
			"Book me on the August one please",
			"book 26/08 for 2",
			"Could I have a place at the promoting independence session? I'll need a BSL interpreter.",
		}},
	{"dropin", 2,
		[]string{"One to one", "Drop-in", "Can I talk to someone"},
		[]string{
			"Can I have a one-to-one chat with someone? Mornings are best for me.",
			"I don't like groups. Could I have a drop-in on a Thursday after 2pm?",
			"Is there a chance to talk to someone on the phone instead, not in July",
		}},
	{"subscribe", 3,
		[]string{"Mailing list", "subscribe", "Keep me posted"},
		[]string{
			"Please add me to the mailing list.",
			"subscribe",
			"I'd like to hear about future sessions, please keep me posted.",
		}},
	{"cancel", 1,
		[]string{"Cancel", "Can't make it", "Re: Your booking"},
		[]string{
			"I can't make it on 15 July, please cancel.",
			"Please cancel 26 August, sorry.",
		}},
}

var (
	firstNames = []string{"Mary", "John", "Ann", "Peter", "Margaret", "David", "Susan", "Michael", "Linda", "Robert",
		"Joan", "Ahmed", "Priya", "Agnieszka", "Tom", "Olive", "Nora", "Winston", "Grace", "Kofi"}
	lastNames = []string{"Jones", "Smith", "Taylor", "Brown", "Williams", "Wilson", "Patel", "Khan", "Evans", "Thomas",
		"Roberts", "Nowak", "Hughes", "Green", "Mensah", "Wood"}
	domains = []string{"gmail.example", "outlook.example", "btinternet.example", "yahoo.example", "dorset-carers.example"}
)

// quotedNotice is the council mail people reply to: an announcement of the
// programme, as their client quotes it.
const quotedNotice = `Dear resident,

Better Days is a programme of conversations about day opportunities for
adults with care needs and their carers. Over the summer we are holding
group conversations online and in person, sessions for carers, and
one-to-one drop-in conversations by appointment for people who would
rather not join a group.

You do not need an account or a password to take part. Reply to this
email with the session you would like, or write "what sessions are
there?" and we will send you the list. If you need an interpreter, large
print, a hearing loop or step-free access, tell us and we will arrange it.

With best wishes,
The Better Days team
Adult Social Care, County Hall, Dorchester`

// makeLetter returns letter i, addressed to to.
func makeLetter(i int, to string, base time.Time) letter {
	rng := rand.New(rand.NewPCG(uint64(i), 0x6d61696c62656e63))
	req := pickRequest(rng)
	first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
	domain := domains[rng.IntN(len(domains))]
	l := letter{
		kind: req.kind,
		from: strings.ToLower(fmt.Sprintf("%s.%s.%d@%s", first, last, i, domain)),
		name: first + " " + last,
		date: base.Add(-time.Duration(rng.IntN(3*24*60)) * time.Minute).Truncate(time.Second),
	}
	l.messageID = fmt.Sprintf("%s.%d@mail.%s", token(rng, 16), i, domain)
	subject := req.subjects[rng.IntN(len(req.subjects))]
	text := req.texts[rng.IntN(len(req.texts))]
	quote := rng.IntN(100) < 35
	if quote {
		subject = "Re: Better Days this summer"
	}

	var b bytes.Buffer
	h := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	relay := fmt.Sprintf("mail-%s.%s", token(rng, 6), domain)
	ip := fmt.Sprintf("192.0.2.%d", 1+rng.IntN(250))
	h("Return-Path: <%s>", l.from)
	h("Delivered-To: %s", to)
	h("Received: from %s (%s [%s])\r\n\tby mx.example.test with ESMTPS id %s\r\n\tfor <%s>; %s",
		relay, relay, ip, token(rng, 12), to, l.date.Add(2*time.Second).Format(time.RFC1123Z))
	h("Received: by %s with SMTP id %s; %s", relay, token(rng, 10), l.date.Format(time.RFC1123Z))
	h("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=20230601;\r\n\tt=%d; x=%d;\r\n\th=to:subject:message-id:date:from:mime-version:from:to:cc:subject\r\n\t :date:message-id:reply-to;\r\n\tbh=%s;\r\n\tb=%s",
		domain, l.date.Unix(), l.date.Unix()+7*86400, b64(rng, 32), foldB64(b64(rng, 256)))
	h("X-Received: by 2002:a05:6000:%x with SMTP id %s; %s", rng.IntN(0xffff), token(rng, 14), l.date.Format(time.RFC1123Z))
	// Organisations and outlook.com send through Exchange Online.
	outlook := domain == "outlook.example" || domain == "dorset-carers.example"
	h("Authentication-Results: mx.example.test;\r\n\tdkim=pass header.d=%s header.s=20230601 header.b=%s;\r\n\tspf=pass (mx.example.test: domain of %s designates %s as permitted sender) smtp.mailfrom=%s;\r\n\tdmarc=pass (p=NONE sp=QUARANTINE dis=NONE) header.from=%s",
		domain, token(rng, 8), l.from, ip, l.from, domain)
	h("Received-SPF: pass (mx.example.test: domain of %s designates %s as permitted sender) client-ip=%s;", l.from, ip, ip)
	h("ARC-Seal: i=1; a=rsa-sha256; t=%d; cv=none; d=%s; s=arc-20240605;\r\n\tb=%s", l.date.Unix(), domain, foldB64(b64(rng, 256)))
	h("ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=arc-20240605;\r\n\th=to:subject:message-id:date:from:mime-version:dkim-signature;\r\n\tbh=%s;\r\n\tb=%s",
		domain, b64(rng, 32), foldB64(b64(rng, 256)))
	h("ARC-Authentication-Results: i=1; mx.example.test;\r\n\tdkim=pass header.i=@%s header.s=20230601;\r\n\tspf=pass smtp.mailfrom=%s;\r\n\tdmarc=pass header.from=%s", domain, l.from, domain)
	if outlook {
		// Exchange Online stamps a dozen of these on everything it sends.
		for _, f := range []string{"X-MS-Exchange-Organization-Network-Message-Id", "X-MS-Exchange-CrossTenant-Id",
			"X-MS-Exchange-CrossTenant-AuthAs", "X-MS-Exchange-Transport-CrossTenantHeadersStamped", "X-MS-PublicTrafficType",
			"X-MS-TrafficTypeDiagnostic", "X-MS-Office365-Filtering-Correlation-Id", "X-Microsoft-Antispam"} {
			h("%s: %s", f, token(rng, 36))
		}
		h("X-Microsoft-Antispam-Message-Info:\r\n\t%s", foldB64(b64(rng, 700)))
		h("X-MS-Exchange-AntiSpam-MessageData-ChunkCount: 1")
		h("X-MS-Exchange-AntiSpam-MessageData-0:\r\n\t%s", foldB64(b64(rng, 400)))
	} else {
		h("X-Gm-Message-State: %s", foldB64(b64(rng, 60)))
		h("X-Google-Smtp-Source: %s", b64(rng, 60))
	}
	h("MIME-Version: 1.0")
	h("From: %s <%s>", l.name, l.from)
	h("Date: %s", l.date.Format(time.RFC1123Z))
	h("Message-ID: <%s>", l.messageID)
	h("Subject: %s", subject)
	h("To: Better Days <%s>", to)

	sig := fmt.Sprintf("Best wishes,\r\n%s", first)
	if rng.IntN(3) == 0 {
		sig += "\r\n\r\nSent from my iPhone"
	}
	plain := text + "\r\n\r\n" + sig + "\r\n"
	if quote {
		plain += "\r\nOn " + l.date.Add(-48*time.Hour).Format("Mon, 2 Jan 2006 at 15:04") + ", Better Days <" + to + "> wrote:\r\n"
		for line := range strings.SplitSeq(quotedNotice, "\n") {
			plain += "> " + line + "\r\n"
		}
	}
	if rng.IntN(5) == 0 { // an older client: plain text only
		h("Content-Type: text/plain; charset=\"UTF-8\"; format=flowed")
		h("Content-Transfer-Encoding: 7bit")
		h("")
		b.WriteString(plain)
		l.raw = b.Bytes()
		return l
	}
	boundary := "000000000000" + token(rng, 16)
	h("Content-Type: multipart/alternative; boundary=\"%s\"", boundary)
	h("")
	h("--%s", boundary)
	h("Content-Type: text/plain; charset=\"UTF-8\"")
	h("Content-Transfer-Encoding: quoted-printable")
	h("")
	writeQP(&b, plain)
	h("")
	h("--%s", boundary)
	h("Content-Type: text/html; charset=\"UTF-8\"")
	h("Content-Transfer-Encoding: quoted-printable")
	h("")
	writeQP(&b, htmlOf(text, sig, quote, to, outlook))
	h("")
	h("--%s--", boundary)
	l.raw = b.Bytes()
	return l
}

func pickRequest(rng *rand.Rand) request {
	total := 0
	for _, r := range requests {
		total += r.weight
	}
	n := rng.IntN(total)
	for _, r := range requests {
		if n < r.weight {
			return r
		}
		n -= r.weight
	}
	return requests[0]
}

// htmlOf is the HTML part a client writes for the same words: a small
// Gmail-style one or a larger Outlook-style one with its style sheet.
func htmlOf(text, sig string, quote bool, to string, outlook bool) string {
	var b strings.Builder
	para := func(s string) string {
		return strings.ReplaceAll(strings.ReplaceAll(s, "&", "&amp;"), "\r\n", "<br>\r\n")
	}
	if outlook {
		b.WriteString("<html xmlns:v=\"urn:schemas-microsoft-com:vml\" xmlns:o=\"urn:schemas-microsoft-com:office:office\" xmlns:w=\"urn:schemas-microsoft-com:office:word\" xmlns:m=\"http://schemas.microsoft.com/office/2004/12/omml\" xmlns=\"http://www.w3.org/TR/REC-html40\">\r\n")
		b.WriteString("<head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"><meta name=\"Generator\" content=\"Microsoft Word 15 (filtered medium)\">\r\n")
		b.WriteString("<style><!--\r\n/* Font Definitions */\r\n@font-face\r\n\t{font-family:\"Cambria Math\";\r\n\tpanose-1:2 4 5 3 5 4 6 3 2 4;}\r\n@font-face\r\n\t{font-family:Calibri;\r\n\tpanose-1:2 15 5 2 2 2 4 3 2 4;}\r\n")
		b.WriteString("/* Style Definitions */\r\np.MsoNormal, li.MsoNormal, div.MsoNormal\r\n\t{margin:0cm;\r\n\tfont-size:11.0pt;\r\n\tfont-family:\"Calibri\",sans-serif;\r\n\tmso-ligatures:standardcontextual;\r\n\tmso-fareast-language:EN-US;}\r\n")
		b.WriteString("span.EmailStyle17\r\n\t{mso-style-type:personal-compose;\r\n\tfont-family:\"Calibri\",sans-serif;\r\n\tcolor:windowtext;}\r\n.MsoChpDefault\r\n\t{mso-style-type:export-only;\r\n\tfont-size:10.0pt;\r\n\tmso-ligatures:none;}\r\n")
		b.WriteString("@page WordSection1\r\n\t{size:612.0pt 792.0pt;\r\n\tmargin:72.0pt 72.0pt 72.0pt 72.0pt;}\r\ndiv.WordSection1\r\n\t{page:WordSection1;}\r\n--></style></head>\r\n")
		b.WriteString("<body lang=\"EN-GB\" link=\"#0563C1\" vlink=\"#954F72\" style=\"word-wrap:break-word\"><div class=\"WordSection1\">\r\n")
		fmt.Fprintf(&b, "<p class=\"MsoNormal\">%s<o:p></o:p></p>\r\n<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>\r\n<p class=\"MsoNormal\">%s<o:p></o:p></p>\r\n", para(text), para(sig))
	} else {
		fmt.Fprintf(&b, "<div dir=\"ltr\"><div>%s</div><div><br></div><div>%s</div></div>\r\n", para(text), para(sig))
	}
	if quote {
		fmt.Fprintf(&b, "<br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">Better Days &lt;<a href=\"mailto:%s\">%s</a>&gt; wrote:<br></div>\r\n", to, to)
		b.WriteString("<blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex\">\r\n")
		for p := range strings.SplitSeq(quotedNotice, "\n\n") {
			fmt.Fprintf(&b, "<p>%s</p>\r\n", para(strings.ReplaceAll(p, "\n", "\r\n")))
		}
		b.WriteString("</blockquote></div>\r\n")
	}
	if outlook {
		b.WriteString("</div></body></html>\r\n")
	}
	return b.String()
}

func writeQP(b *bytes.Buffer, s string) {
	w := quotedprintable.NewWriter(b)
	w.Write([]byte(s))
	w.Close()
}

const tokenChars = "abcdefghijklmnopqrstuvwxyz0123456789"

func token(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = tokenChars[rng.IntN(len(tokenChars))]
	}
	return string(b)
}

func b64(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return base64.StdEncoding.EncodeToString(b)
}

// foldB64 folds a long header value over lines of 72 characters.
func foldB64(s string) string {
	var parts []string
	for len(s) > 72 {
		parts = append(parts, s[:72])
		s = s[72:]
	}
	return strings.Join(append(parts, s), "\r\n\t ")
}
