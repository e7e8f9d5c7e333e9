package mailbot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
	"github.com/emersion/go-message/mail"
	"github.com/yuin/goldmark"
)

// sessionsPlaceholder in a newsletter's Markdown becomes the numbered list
// of sessions coming up; a reply with a number books it.
const sessionsPlaceholder = "{{sessions}}"

// DraftNewsletter records a newsletter written in Markdown, with the
// sessions placeholder filled in. Drafting the same subject and text again
// returns the newsletter already recorded, so a send that was cut short
// resumes.
func (b *Bot) DraftNewsletter(ctx context.Context, tx *store.Tx, subject, markdown, source string) (store.Newsletter, error) {
	now := b.clock.Now()
	subject = understand.OneLine(subject)
	sum := sha256.Sum256([]byte(subject + "\x00" + markdown))
	n := store.Newsletter{Subject: subject, Markdown: markdown, Source: source, Digest: hex.EncodeToString(sum[:])}
	if strings.Contains(markdown, sessionsPlaceholder) {
		upcoming, err := tx.UpcomingSessions(ctx, now, "session")
		if err != nil {
			return n, err
		}
		var list strings.Builder
		for i, s := range upcoming[:min(len(upcoming), maxChoices)] {
			fmt.Fprintf(&list, "%d. **%s**  \n   %s, %s\n", i+1, s.Title, When(s.Starts, s.Ends, b.cfg.TZ), s.Location)
			n.Sessions = append(n.Sessions, s.ID)
		}
		if len(n.Sessions) > 0 {
			list.WriteString("\nTo book, reply to this email with the number.\n")
		} else {
			list.WriteString("There are no sessions in the timetable just now.\n")
		}
		n.Markdown = strings.ReplaceAll(markdown, sessionsPlaceholder, list.String())
	}
	return tx.SaveNewsletter(ctx, n, now)
}

// issue is a newsletter rendered once, ready to be personalised for each
// copy.
type issue struct {
	n    store.Newsletter
	html template.HTML
	form *copyForm // nil: each copy is rendered whole
}

// issues keeps each newsletter's rendering while its copies go out.
type issues struct {
	mu   sync.Mutex
	byID map[int64]issue
}

var markdown = goldmark.New() // raw HTML in the Markdown is left out: it is not ours to trust

func renderIssue(n store.Newsletter) (issue, error) {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(n.Markdown), &buf); err != nil {
		return issue{}, fmt.Errorf("newsletter %d: markdown: %w", n.ID, err)
	}
	return issue{n: n, html: template.HTML(buf.String())}, nil
}

func (b *Bot) issue(ctx context.Context, id int64) (issue, error) {
	b.issues.mu.Lock()
	defer b.issues.mu.Unlock()
	if is, ok := b.issues.byID[id]; ok {
		return is, nil
	}
	n, err := b.store.Newsletter(ctx, id)
	if err != nil {
		return issue{}, err
	}
	is, err := renderIssue(n)
	if err != nil {
		return issue{}, err
	}
	is.form = b.newCopyForm(is)
	if b.issues.byID == nil {
		b.issues.byID = map[int64]issue{}
	}
	b.issues.byID[id] = is
	return is, nil
}

// copyData is one person's copy of an issue, with the token of their
// unsubscribe link and address.
func (b *Bot) copyData(is issue, p store.Person) (templates.Newsletter, string) {
	leave := b.sign.make(purposeLeave, p.ID, 0)
	return templates.Newsletter{
		Name: firstName(p.Name), Text: is.n.Markdown, HTML: is.html,
		LeaveURL: b.link("leave", leave),
	}, leave
}

// newsletterCopy renders person p's copy of an issue. It is the same bytes
// every time for the same copy: the Message-ID was fixed when it was
// queued, and the Date is the newsletter's.
func (b *Bot) newsletterCopy(is issue, p store.Person, messageID string) ([]byte, error) {
	data, leave := b.copyData(is, p)
	body, err := is.form.render(b, is, data)
	if err != nil {
		return nil, err
	}
	var h mail.Header
	h.Set("X-Auto-Response-Suppress", "All")
	h.Set("Auto-Submitted", "auto-generated")
	h.Set("Precedence", "bulk")
	// RFC 8058: the mailbox provider's unsubscribe button POSTs to the
	// link; the mailto is for the rest (RFC 2369).
	h.Set("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	h.Set("List-Unsubscribe", "<"+data.LeaveURL+">, <mailto:"+plusAddress(b.cfg.Address, leaveTag+leave)+"?subject=unsubscribe>")
	_, domain, _ := strings.Cut(b.cfg.Address, "@")
	h.Set("List-Id", displayName+" news <news."+domain+">")
	h.Set("MIME-Version", "1.0")
	h.SetSubject(is.n.Subject)
	h.SetAddressList("To", []*mail.Address{{Name: understand.OneLine(p.Name), Address: p.Email}})
	h.SetAddressList("From", []*mail.Address{{Name: displayName, Address: b.cfg.Address}})
	h.SetMessageID(messageID)
	h.SetDate(is.n.CreatedAt.In(b.cfg.TZ))
	var buf bytes.Buffer
	if err := writeBody(&buf, h, body, nil, nil); err != nil {
		return nil, fmt.Errorf("newsletter %d copy for %s: %w", is.n.ID, p.Email, err)
	}
	return is.form.fill(buf.Bytes(), leave), nil
}

// prepare gives an outbox message its envelope sender, which names the
// message so a bounce finds it, and makes a newsletter copy's bytes.
func (b *Bot) prepare(ctx context.Context, m *store.Outgoing) error {
	m.MailFrom = plusAddress(b.cfg.Address, bounceTag+b.sign.make(purposeBounce, m.ID, 0))
	if m.NewsletterID == 0 || len(m.Body) > 0 {
		return nil
	}
	is, err := b.issue(ctx, m.NewsletterID)
	if err != nil {
		return err
	}
	p, err := b.store.Person(ctx, m.PersonID)
	if err != nil {
		return fmt.Errorf("newsletter copy %d: %w", m.ID, err)
	}
	m.Body, err = b.newsletterCopy(is, p, m.MessageID)
	return err
}

// QueueNewsletter queues a copy of n for everyone on the list, in tx, and
// returns how many.
func (b *Bot) QueueNewsletter(ctx context.Context, tx *store.Tx, n store.Newsletter) (int, error) {
	_, domain, _ := strings.Cut(b.cfg.Address, "@")
	return tx.QueueNewsletter(ctx, n.ID, b.cfg.Address, domain, b.clock.Now())
}

// Sample renders the copy of n that p would get, for a preview.
func (b *Bot) Sample(n store.Newsletter, p store.Person) ([]byte, error) {
	is, err := renderIssue(n)
	if err != nil {
		return nil, err
	}
	return b.newsletterCopy(is, p, b.newMessageID())
}

// Finish says roughly when count list messages will all have gone, given
// the sending limits.
func (b *Bot) Finish(count int) string {
	perMinute, perDay := float64(b.cfg.PerMinute), float64(b.cfg.PerDay)*0.9
	if perMinute == 0 {
		perMinute = math.Inf(1)
	}
	if perDay == 0 || float64(count) <= perDay {
		minutes := float64(count) / perMinute
		switch {
		case minutes < 5:
			return "within a few minutes"
		case minutes < 60:
			return fmt.Sprintf("within about %d minutes", int(math.Ceil(minutes/5)*5))
		default:
			return fmt.Sprintf("within about %d hours", int(math.Ceil(minutes/60)))
		}
	}
	days := int(math.Ceil(float64(count) / perDay))
	by := b.clock.Now().Add(time.Duration(days-1) * 24 * time.Hour).In(b.cfg.TZ)
	return fmt.Sprintf("in about %d days (the daily sending limit is %d), by %s", days, b.cfg.PerDay, by.Format("Monday 2 January"))
}

// newsletter handles a member of staff's newsletter by email: a message
// whose subject starts "Newsletter:" gets a preview, and a reply SEND to
// the preview sends it. done is false for any other message.
func (t *turn) newsletter(text string, isStaff bool) (string, bool, error) {
	if t.offer != nil && t.offer.Kind == store.OfferNewsletter {
		return t.sendNewsletter(text, isStaff)
	}
	subject, ok := cutPrefixFold(understand.OneLine(t.m.Subject), "newsletter:")
	if !ok || !isStaff {
		if ok {
			t.b.log.Warn("newsletter from an address not proven to be staff; read as an ordinary message", "from", t.m.From)
		}
		return "", false, nil
	}
	body := t.m.Fresh
	if strings.TrimSpace(body) == "" {
		body = t.m.Text
	}
	n, err := t.b.DraftNewsletter(t.ctx, t.tx, strings.TrimSpace(subject), body, t.m.From)
	if err != nil {
		return "", true, err
	}
	count, err := t.b.store.CountConfirmed(t.ctx)
	if err != nil {
		return "", true, err
	}
	is, err := renderIssue(n)
	if err != nil {
		return "", true, err
	}
	preview, _ := t.b.copyData(is, store.Person{ID: t.person, Email: t.m.From, Name: t.m.FromName})
	r := t.answer("newsletter-staff", templates.NewsletterStaff{
		Name: t.ans.Name, Stage: "preview", Subject: n.Subject, Recipients: count, Preview: preview,
	})
	r.subject = "Preview: " + n.Subject
	r.offer = &store.Offer{PersonID: t.person, Kind: store.OfferNewsletter, Items: []string{idString(n.ID)}}
	return fmt.Sprintf("replied: newsletter %d preview (%d recipients)", n.ID, count), true, nil
}

// sendNewsletter answers a preview: SEND from the same, proven, staff
// address sends it; any other answer cancels it.
func (t *turn) sendNewsletter(text string, isStaff bool) (string, bool, error) {
	if len(t.offer.Items) != 1 {
		return "", true, fmt.Errorf("newsletter offer %d: want one newsletter id, have %q", t.offer.ID, t.offer.Items)
	}
	id, err := strconv.ParseInt(t.offer.Items[0], 10, 64)
	if err != nil {
		return "", true, fmt.Errorf("newsletter offer %d: %w", t.offer.ID, err)
	}
	n, err := t.tx.Newsletter(t.ctx, id)
	if err != nil {
		return "", true, err
	}
	// Whatever the answer, the preview is done with: a later SEND to it
	// sends nothing.
	if err := t.tx.DropOffer(t.ctx, t.offer.ID); err != nil {
		return "", true, err
	}
	data := templates.NewsletterStaff{Name: t.ans.Name, Stage: "cancelled", Subject: n.Subject}
	first, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	send := strings.EqualFold(strings.Trim(strings.TrimSpace(first), ".!"), "send")
	outcome := fmt.Sprintf("replied: newsletter %d cancelled", n.ID)
	switch {
	case send && !isStaff:
		t.b.log.Warn("SEND for a newsletter from an address not proven to be staff; not sending", "from", t.m.From, "newsletter", n.ID)
		outcome = fmt.Sprintf("replied: newsletter %d not sent: sender not proven staff", n.ID)
	case send:
		count, err := t.b.QueueNewsletter(t.ctx, t.tx, n)
		if err != nil {
			return "", true, err
		}
		data.Stage, data.Recipients, data.Finish = "sending", count, t.b.Finish(count)
		outcome = fmt.Sprintf("replied: newsletter %d queued for %d people", n.ID, count)
	}
	t.answer("newsletter-staff", data).subject = replySubject(t.m.Subject, "Newsletter")
	return outcome, true, nil
}

// cutPrefixFold is strings.CutPrefix, ignoring case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
