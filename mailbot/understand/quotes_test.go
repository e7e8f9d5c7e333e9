package understand

import (
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// newsletter is the kind of long message of ours people reply to.
const newsletter = `Better Days newsletter - August 2027

Hello,

There are new group conversations this month. Reply "book" and the
session number to book a place, or "unsubscribe" to stop these emails.

1. New to caring? Tuesday 10 August 2027, 10am to 11am
2. Day opportunities: what matters to you? Thursday 12 August 2027, 1pm to 2pm

Thanks,
The Better Days team`

func quote(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l == "" {
			lines[i] = ">"
		} else {
			lines[i] = "> " + l
		}
	}
	return strings.Join(lines, "\n")
}

func TestFresh(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string
	}{
		// Nothing to strip.
		{"plain", "Can I book the 15th?", "Can I book the 15th?"},
		{"on tuesday is not an attribution", "On Tuesday I can come\nPlease book me in", "On Tuesday I can come\nPlease book me in"},
		{"on tuesday with a date is not one either", "On Tuesday 15 July I can come at 10:30.\nMary", "On Tuesday 15 July I can come at 10:30.\nMary"},
		{"wrote without an attribution", "My daughter wrote to you last week about the 15th.", "My daughter wrote to you last week about the 15th."},
		{"from in a sentence", "From: the 15th to the 20th I am away\nCan I book the 22nd?", "From: the 15th to the 20th I am away\nCan I book the 22nd?"},
		{"dashes as decoration", "----- Notes -----\nbring a friend?", "----- Notes -----\nbring a friend?"},
		{"only a signature", "Sent from my iPhone", "Sent from my iPhone"},
		{"only a sign-off", "Thanks,\nMary", "Thanks,\nMary"},
		{"only a separator and signature", "-- \nMary Jones\n07700 900123", "--\nMary Jones\n07700 900123"},
		{"thanks then a question", "Thanks!\nCan I bring my wife\nMary", "Thanks!\nCan I bring my wife\nMary"},
		{"sent from my son's email", "Sent from my son's email, please book me on the 15th", "Sent from my son's email, please book me on the 15th"},
		{"empty", "", ""},
		{"only quoted", "> Reply book to book", ""},

		// ">" quoting: top, bottom and interleaved.
		{"book me, quoted below", "Book me on the 15th\n> quoted", "Book me on the 15th"},
		{"yes please on a newsletter", "yes please\n\nOn Tue, 3 Aug 2027 at 10:15, Better Days <betterdays@example.org> wrote:\n" + quote(newsletter), "yes please"},
		{"bottom-posted", "On 03/08/2027 10:15, Better Days wrote:\n" + quote(newsletter) + "\n\nBook me on number 2 please.", "Book me on number 2 please."},
		{"interleaved", "Better Days wrote:\n> Which session?\nThe 15th please.\n> How many places?\nTwo, me and my husband.\n> Thanks,\n> The team\n\n-- \nMary",
			"The 15th please.\n\nTwo, me and my husband."},
		{"quote with leading space", "Yes\n > quoted by an old client", "Yes"},
		// Under a quoted item of our list, "this one" is that item.
		{"interleaved under items", "> 1. Giving my carers a break\n>    Thursday 15 July 2027\n>\n\nNot this one, I work Thursdays\n\n> 2. Accessing the local community\n>    Wednesday 21 July\n\nYes this one please\n\n> Better Days, Dorset Council\n",
			"Not number 1, I work Thursdays\n\nYes number 2 please"},
		{"this one under a quote that is no list", "> Thanks for your email.\n\nThis one is lovely", "This one is lovely"},
		{"this one under the list's sign-off", "> 2. Accessing the local community\n>\n> Better Days team\n\nI'd like this one", "I'd like this one"},

		// Attribution lines across clients and languages.
		{"gmail wrapped attribution", "Yes please\n\nOn Tue, 3 Aug 2027 at 10:15, Better Days Programme Team <\nbetterdays@example.org> wrote:\n\n" + quote(newsletter), "Yes please"},
		{"gmail wrapped before wrote", "Yes please\n\nOn Tue, 3 Aug 2027 at 10:15, Better Days <betterdays@example.org>\nwrote:\n" + quote(newsletter), "Yes please"},
		{"gmail html, no > marks", "Yes please\n\nOn Tue, 3 Aug 2027 at 10:15, Better Days <betterdays@example.org> wrote:\n" + newsletter, "Yes please"},
		{"on tuesday above a wrapped attribution", "On Tuesday I can come\n\nOn Tue, 3 Aug 2027 at 10:15, Better Days <\nbetterdays@example.org> wrote:\n" + newsletter, "On Tuesday I can come"},
		{"apple", "Yes please\n\nSent from my iPhone\n\n> On 3 Aug 2027, at 10:15, Mary <m@example.org> wrote:\n>\n" + quote(newsletter), "Yes please"},
		{"apple unquoted attribution", "Yes please\n\nOn 3 Aug 2027, at 10:15, Better Days <bd@example.org> wrote:\n\n" + quote(newsletter), "Yes please"},
		{"yahoo", "Yes please, number 1\n\nSent from Yahoo Mail on Android\n\n  On Tuesday, 3 August 2027, 10:15:00 BST, Better Days <bd@example.org> wrote:\n\n" + newsletter, "Yes please, number 1"},
		{"thunderbird", "Number 2 please\n\nOn 03/08/2027 10:15, Better Days wrote:\n" + quote(newsletter), "Number 2 please"},
		{"german", "Ja bitte\n\nAm 03.08.2027 um 10:15 schrieb Better Days <bd@example.org>:\n" + quote(newsletter), "Ja bitte"},
		{"french", "Oui merci\n\nLe mar. 3 août 2027 à 10:15, Better Days <bd@example.org> a écrit :\n" + quote(newsletter), "Oui merci"},
		{"spanish", "Sí, por favor\n\nEl mar, 3 ago 2027 a las 10:15, Better Days (<bd@example.org>) escribió:\n" + quote(newsletter), "Sí, por favor"},
		{"polish gmail", "Tak proszę\n\nwt., 3 sie 2027 o 10:15 Better Days <bd@example.org> napisał(a):\n" + quote(newsletter), "Tak proszę"},
		{"welsh gmail", "Ie os gwelwch yn dda\n\nAr Maw, 3 Awst 2027 am 10:15, Better Days <bd@example.org> ysgrifennodd:\n" + quote(newsletter), "Ie os gwelwch yn dda"},
		{"russian gmail", "Да\n\nвт, 3 авг. 2027 г. в 10:15, Better Days <bd@example.org>:\n" + quote(newsletter), "Да"},
		{"no colon", "Yes please\n\nOn Wed, 14 Nov 2018 at 10:02, Better Days <bd@example.org> wrote\n\n" + newsletter, "Yes please"},
		{"zoho", "Yes please\n\n---- On Wed, 14 Nov 2018 10:02:11 +0000 Better Days <bd@example.org> wrote ----\n\n" + newsletter, "Yes please"},
		{"android, name only", "Yes please\n\n---- Better Days wrote ----\n\n" + newsletter, "Yes please"},
		{"samsung original message", "Yes please\n\n-------- Original message --------\nFrom: Better Days <bd@example.org>\nDate: 14/11/2018 10:02 (GMT+00:00)\n\n" + newsletter, "Yes please"},
		{"yahoo long date", "Yes please\n\nOn Wednesday, 14 November 2018, 10:02:11 GMT, Better Days <bd@example.org> wrote:\n\n" + newsletter, "Yes please"},
		{"yandex, no word for wrote", "Yes please\n\n14.11.2018, 10:02, \"Better Days\" <bd@example.org>:\n\n" + newsletter, "Yes please"},
		{"address broken before its >", "Yes please\n\ntir. 18. apr. 2017 kl. 13:09 skrev Better Days <bd@example.org\n>:\n\n" + quote(newsletter), "Yes please"},
		{"polymail", "Yes please\n\nOn Tue, Apr 11, 2017 at 10:07 PM Better Days\n\n<\nmailto:Better Days <bd@example.org>\n> wrote:\n" + newsletter, "Yes please"},
		{"outlook for android, old message unmarked", "Yes please\n\nGet Outlook for Android<https://aka.ms/AAb9ysg>\n\n" + newsletter, "Yes please"},
		{"mailing list footer", "Book me please\n\n_______________________________________________\ncarers mailing list\ncarers@lists.example.org", "Book me please"},
		{"daughter wrote, no colon", "On 15 July my daughter wrote\nto ask about the 20th. Is there room?", "On 15 July my daughter wrote\nto ask about the 20th. Is there room?"},
		{"horde", "Yes\n\nQuoting Better Days <bd@example.org>:\n\n" + quote(newsletter), "Yes"},

		// Outlook: header blocks and separators, no ">".
		{"outlook desktop", "Yes please\n\nFrom: Better Days <betterdays@example.org>\nSent: 03 August 2027 10:15\nTo: Mary Jones <mary@example.org>\nSubject: Better Days newsletter\n\n" + newsletter, "Yes please"},
		{"outlook web separator", "Yes please\n\n________________________________\nFrom: Better Days <betterdays@example.org>\nSent: Tuesday, August 3, 2027 10:15 AM\nTo: mary@example.org <mary@example.org>\nSubject: Better Days newsletter\n\n" + newsletter, "Yes please"},
		{"outlook ios", "Yes please\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n________________________________\nFrom: Better Days <betterdays@example.org>\nSent: Tuesday, August 3, 2027 10:15:00 AM\nTo: Mary <mary@example.org>\nSubject: Better Days newsletter\n\n" + newsletter, "Yes please"},
		{"outlook android", "Yes please\n\nGet Outlook for Android\n\nFrom: Better Days <betterdays@example.org>\nSent: Tuesday, August 3, 2027 10:15:00 AM\nTo: Mary <mary@example.org>\nSubject: Better Days newsletter\n\n" + newsletter, "Yes please"},
		{"outlook bold from gmail", "Yes\n\n*From:* Better Days <bd@example.org>\n*Sent:* 03 August 2027 10:15\n*To:* Mary\n*Subject:* News\n\n" + newsletter, "Yes"},
		{"outlook html with blank lines", "Yes please\n\nFrom: Better Days\n\nSent: 03 August 2027 10:15\n\nTo: Mary\n\nSubject: News\n\n" + newsletter, "Yes please"},
		{"outlook german", "Ja bitte\n\nVon: Better Days <bd@example.org>\nGesendet: Dienstag, 3. August 2027 10:15\nAn: Mary <mary@example.org>\nBetreff: Better Days newsletter\n\n" + newsletter, "Ja bitte"},
		{"outlook french", "Oui\n\nDe : Better Days <bd@example.org>\nEnvoyé : mardi 3 août 2027 10:15\nÀ : Mary <mary@example.org>\nObjet : Better Days newsletter\n\n" + newsletter, "Oui"},
		{"outlook spanish", "Sí\n\nDe: Better Days <bd@example.org>\nEnviado: martes, 3 de agosto de 2027 10:15\nPara: Mary <mary@example.org>\nAsunto: Better Days newsletter\n\n" + newsletter, "Sí"},
		{"original message", "Yes please\n\n-----Original Message-----\nFrom: Better Days [mailto:bd@example.org]\nSent: 03 August 2027 10:15\nTo: Mary\nSubject: News\n\n" + newsletter, "Yes please"},
		{"original message german", "Ja\n\n-----Ursprüngliche Nachricht-----\nVon: Better Days\n" + newsletter, "Ja"},
		{"old webmail original message", "yes\n\n----- Original Message -----\nFrom: \"Better Days\" <bd@example.org>\nTo: <mary@example.org>\nSent: Tuesday, August 03, 2027 10:15 AM\nSubject: News\n\n" + newsletter, "yes"},
		{"outlook with > prefix keeps interleaved", "Yes\n\n-----Original Message-----\nFrom: Better Days\nSent: 03 August 2027 10:15\nTo: Mary\nSubject: News\n\n> Which session?\nThe 15th", "Yes\n\nThe 15th"},
		{"outlook reply message", "ok\n\n-----Reply message-----\nFrom: Better Days <bd@example.org>\n" + newsletter, "ok"},

		// Signatures, sign-offs, footers.
		{"signature separator", "Book me in please\n\n-- \nMary Jones\nCarer, Anytown", "Book me in please"},
		{"signature separator trimmed", "Book me in please\n--\nMary Jones", "Book me in please"},
		{"sent from my galaxy", "Book me in please\n\nSent from my Galaxy", "Book me in please"},
		{"sent from samsung", "Book me in please\n\nSent from my Samsung Galaxy smartphone.", "Book me in please"},
		{"sent from mail for windows", "Book me in please\n\nSent from Mail for Windows", "Book me in please"},
		{"sent from yahoo", "Book me in please\n\nSent from Yahoo Mail for iPhone", "Book me in please"},
		{"german iphone", "Ja bitte\n\nVon meinem iPhone gesendet", "Ja bitte"},
		{"thanks mary", "Can I book the 15th?\n\nThanks,\nMary", "Can I book the 15th?"},
		{"kind regards", "Please book two places on session 1.\n\nKind regards\nJohn Smith\nSenior Support Worker\nAnytown Care Services\nTel: 01234 567890", "Please book two places on session 1."},
		{"best wishes", "Count me in.\n\nBest wishes\nSiân", "Count me in."},
		{"many thanks lower-case name", "yes please\nmany thanks\nmary", "yes please"},
		{"cheers on one line", "Yes please\nCheers, Dave", "Yes please"},
		{"love with kisses", "See you Tuesday\nLove Mum xx", "See you Tuesday"},
		{"thanks alone at the end", "Yes please, number 2. Thanks!", "Yes please, number 2. Thanks!"},
		{"thanks line at the end", "Yes please, number 2.\nThanks!", "Yes please, number 2."},
		{"disclaimer", "Please book me in.\n\nJohn\n\nDISCLAIMER: This email and any attachments are confidential and intended solely for the addressee.", "Please book me in.\n\nJohn"},
		{"confidential footer", "Please book me in.\n\nThis email and any attachments are confidential. If you are not the intended recipient, please delete it.", "Please book me in."},
		{"a name and job title, no sign-off", "Please book me on 15 July.\n\nCath Davies\nLearning Disability Partnership Board, community rep", "Please book me on 15 July."},
		{"a staff title under a name", "Can you book her onto the 10 Aug one please?\nJo Bloggs\nCommunity Engagement Officer\nDorset Council", "Can you book her onto the 10 Aug one please?"},
		{"titles after a colon stay", "Please book me on:\nLearning New Skills\nAccessing The Local Community", "Please book me on:\nLearning New Skills\nAccessing The Local Community"},
		{"a name alone stays", "Can I come on Thursday?\nMary", "Can I come on Thursday?\nMary"},
		{"a request under a name stays", "Hello.\nMary Jones\ncan you book me on the walk", "Hello.\nMary Jones\ncan you book me on the walk"},
		{"environment", "Please book me in.\nKind regards\nJohn Smith\nPlease consider the environment before printing this email", "Please book me in."},
		{"external banner", "CAUTION: This email originated from outside of the organisation. Do not click links\nunless you recognise the sender.\n\nPlease book me in.", "Please book me in."},
		{"outlook image placeholder", "Yes please\n\nJohn Smith\n[cid:image001.png@01D8A2B3.C4D5E6F0]", "Yes please\n\nJohn Smith"},
		{"everything at once", "Yes please, book me on number 1.\n\nThanks,\nMary\n\nSent from my iPhone\n\n> On 3 Aug 2027, at 10:15, Better Days <bd@example.org> wrote:\n>\n" + quote(newsletter), "Yes please, book me on number 1."},
		{"crlf", "Yes please\r\n\r\nOn Tue, 3 Aug 2027 at 10:15, Better Days <bd@example.org> wrote:\r\n> hi\r\n", "Yes please"},
		{"forward note", "Mary rang, please book her.\n\n---------- Forwarded message ---------\nFrom: Mary Jones <mary@example.org>\n\nBook me", "Mary rang, please book her."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Fresh(tc.in); got != tc.want {
				t.Errorf("Fresh(%q) =\n%q\nwant\n%q", tc.in, got, tc.want)
			}
		})
	}
}

// TestFreshPathological feeds Fresh large inputs built to make a naive
// quote finder slow: every line a near-miss of a marker.
func TestFreshPathological(t *testing.T) {
	// Beside other tests: it bounds its own thread's CPU time, not the wall.
	t.Parallel()
	const size = 256 << 10
	fill := func(unit string) string { return strings.Repeat(unit, size/len(unit)+1)[:size] }
	for name, in := range map[string]string{
		"one long line":       fill("On 1 Aug 2027 a@b.c "),
		"attribution starts":  fill("On 3 Aug 2027 at 10:15, Better Days <\n"),
		"header fields":       fill("From: a\n\n"),
		"field then address":  fill("From: a\n<a@b.c>\n"),
		"separators":          fill("________________________________\n"),
		"quotes and text":     fill("> q\nmine\n"),
		"sign-offs":           fill("Thanks,\n"),
		"colons":              fill(":::::::::::::::::::::::::::::::::::::::\n"),
		"signature lines":     fill("-- \n"),
		"wrote lines":         fill("On x wrote:\n"),
		"blank lines":         fill("\n"),
		"forward markers":     fill("Begin forwarded message:\n"),
		"long line of quotes": fill(">"),
	} {
		d, wall := workTime(func() {
			Fresh(in)
			inlineForward(in, "Fwd: x", "")
		})
		t.Logf("%s: %v of CPU in %v", name, d, wall)
		if d > 2*time.Second {
			t.Errorf("Fresh and inlineForward on %s (%d bytes) took %v", name, len(in), d)
		}
	}
}

// workTime runs f on one OS thread and returns the CPU time that thread
// spent on it, and the wall time. The CPU time is what a quadratic
// reading shows in, and it stays the same on a machine busy with other
// tests, where the wall time does not (seen: 0.5 s here became 9.9 s);
// where the thread's CPU time cannot be read it is the wall time.
func workTime(f func()) (cpu, wall time.Duration) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before, ok := threadCPU()
	start := time.Now()
	f()
	wall = time.Since(start)
	after, ok2 := threadCPU()
	if !ok || !ok2 {
		return wall, wall
	}
	return after - before, wall
}

// threadCPU is the calling thread's user and system time (Linux's
// RUSAGE_THREAD, which package syscall does not name).
func threadCPU() (time.Duration, bool) {
	const rusageThread = 1
	var ru syscall.Rusage
	if runtime.GOOS != "linux" || syscall.Getrusage(rusageThread, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

func FuzzFresh(f *testing.F) {
	f.Add("Book me on the 15th\n> quoted")
	f.Add("yes please\n\nOn Tue, 3 Aug 2027 at 10:15, Better Days <\nbd@example.org> wrote:\n> hi")
	f.Add("Yes\n\nFrom: a\nSent: b\nTo: c\nSubject: d\n\nold")
	f.Add("Thanks,\nMary\n-- \nsig")
	f.Add("Book\n\n-----Original Message-----\nFrom: x")
	f.Fuzz(func(t *testing.T, s string) {
		got := Fresh(s)
		if len(got) > len(s) {
			t.Fatalf("Fresh made %d bytes from %d", len(got), len(s))
		}
		if strings.TrimSpace(s) != "" && !strings.ContainsAny(s, ">:-_") && got == "" {
			// With no quote or marker characters there is no history,
			// so something the person wrote must survive.
			t.Fatalf("Fresh(%q) = \"\"", s)
		}
	})
}

// TestSignaturePhone: the phone under a "-- " line is the writer's too,
// and of an office line and a mobile, the mobile is theirs.
func TestSignaturePhone(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"Please put me down for the 26th.\n\nTom\n\n--\nTom Ellery | Centre Manager\nT: 01305 900871\n": "01305 900871",
		"Could I book the 10th?\n\nPriya\n\nPriya Shah\nTel: 01305 900214 | Mob: 07700 900214\n":        "07700 900214",
		"Book me on the 8th\n\nThanks!\nTasha\n\n-- \nTasha Brennan\nMobile: +44 7700 900318\n":         "+44 7700 900318",
		"Book me on the 8th\n\nThanks, Ann\n":                                                           "",
	} {
		fresh, sig := freshAndSignature(text, "")
		if got := Phone(sig); got != want {
			t.Errorf("Phone(signature of %q) = %q (signature %q, fresh %q), want %q", text, got, sig, fresh, want)
		}
	}
}
