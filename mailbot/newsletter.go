package mailbot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"
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
		upcoming, err := tx.UpcomingSessions(ctx, now, store.Group)
		if err != nil {
			return n, err
		}
		var list strings.Builder
		for i, s := range upcoming[:min(len(upcoming), desk.MaxChoices)] {
			fmt.Fprintf(&list, "%d. **%s**  \n   %s, %s\n", i+1, s.Title, desk.When(s.Starts, s.Ends, b.cfg.TZ), s.Location)
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

// newsletters is the desk's way to a member of staff's newsletter by
// email: drafted, previewed and, on their SEND, queued, in the desk's
// transaction.
type newsletters struct{ b *Bot }

var _ desk.NewsletterDesk = newsletters{}

func (n newsletters) Draft(ctx context.Context, tx *store.Tx, subject, markdown, source string) (store.Newsletter, error) {
	return n.b.DraftNewsletter(ctx, tx, subject, markdown, source)
}

func (n newsletters) Preview(nl store.Newsletter, p store.Person) (templates.Newsletter, error) {
	is, err := renderIssue(nl)
	if err != nil {
		return templates.Newsletter{}, err
	}
	data, _ := n.b.copyData(is, p)
	return data, nil
}

func (n newsletters) Queue(ctx context.Context, tx *store.Tx, nl store.Newsletter) (int, error) {
	return n.b.QueueNewsletter(ctx, tx, nl)
}

func (n newsletters) Finish(count int) string { return n.b.Finish(count) }

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
	leave := b.sign.Token(desk.PurposeLeave, p.ID, 0)
	return templates.Newsletter{
		Name: desk.FirstName(p.Name), Text: is.n.Markdown, HTML: is.html,
		LeaveURL: b.sign.URL("leave", leave),
	}, leave
}

// newsletterCopy appends to dst person p's copy of an issue, made from its
// form where it has one. It is the same bytes every time for the same copy
// but for the MIME boundary: the Message-ID was fixed when it was queued,
// and the Date is the newsletter's.
func (b *Bot) newsletterCopy(dst []byte, is issue, p store.Person, messageID string) ([]byte, error) {
	data, leave := b.copyData(is, p)
	if is.form == nil {
		return b.wholeCopy(dst, is, p, messageID, data, leave)
	}
	var h mail.Header
	b.personalFields(&h, p, messageID, data.LeaveURL, leave)
	msg, err := is.form.copy(dst, h, leave)
	if err != nil {
		return nil, fmt.Errorf("newsletter %d copy for %s: %w", is.n.ID, p.Email, err)
	}
	return msg, nil
}

// wholeCopy renders and appends to dst person p's copy of an issue from
// start to end: for an issue with no form, and to check the form by.
func (b *Bot) wholeCopy(dst []byte, is issue, p store.Person, messageID string, data templates.Newsletter, leave string) ([]byte, error) {
	body, err := b.tpl.Render("newsletter", is.n.Subject, data)
	if err != nil {
		return nil, err
	}
	buf := bytes.NewBuffer(dst)
	if err := writeBody(buf, b.copyHeader(is, p, messageID, data.LeaveURL, leave), body, nil, nil, nil); err != nil {
		return nil, fmt.Errorf("newsletter %d copy for %s: %w", is.n.ID, p.Email, err)
	}
	return buf.Bytes(), nil
}

// copyHeader is the header of person p's copy of an issue: the fields
// every copy has, then p's own.
func (b *Bot) copyHeader(is issue, p store.Person, messageID, leaveURL, leave string) mail.Header {
	// go-message writes fields in the reverse of the order they are set:
	// set last what should read first.
	var h mail.Header
	h.Set("X-Auto-Response-Suppress", "All")
	h.Set("Auto-Submitted", "auto-generated")
	h.Set("Precedence", "bulk")
	// RFC 8058: the mailbox provider's unsubscribe button POSTs to the
	// link in List-Unsubscribe (personalFields).
	h.Set("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	_, domain, _ := strings.Cut(b.cfg.Address, "@")
	h.Set("List-Id", desk.DisplayName+" news <news."+domain+">")
	h.Set("MIME-Version", "1.0")
	h.SetSubject(is.n.Subject)
	h.SetAddressList("From", []*mail.Address{{Name: desk.DisplayName, Address: b.cfg.Address}})
	h.SetDate(is.n.CreatedAt.In(b.cfg.TZ))
	b.personalFields(&h, p, messageID, leaveURL, leave)
	return h
}

// personalFields sets the header fields that differ from one copy to the
// next (personalKeys): the rest of a copy is made once per issue.
func (b *Bot) personalFields(h *mail.Header, p store.Person, messageID, leaveURL, leave string) {
	// The link for the one-click button; the mailto for the rest (RFC 2369).
	h.Set("List-Unsubscribe", "<"+leaveURL+">, <mailto:"+plusAddress(b.cfg.Address, desk.LeaveTag+leave)+"?subject=unsubscribe>")
	h.SetAddressList("To", []*mail.Address{{Name: understand.OneLine(p.Name), Address: p.Email}})
	h.SetMessageID(messageID)
}

var _ Preparer = (*Bot)(nil)

// Prepare gives an outbox message its envelope sender, which names the
// message so a bounce finds it, and makes a newsletter copy's bytes.
func (b *Bot) Prepare(ctx context.Context, m *store.Outgoing) error {
	m.MailFrom = plusAddress(b.cfg.Address, bounceTag+b.sign.Token(desk.PurposeBounce, m.ID, 0))
	if m.NewsletterID == 0 || len(m.Body) > 0 {
		return nil
	}
	is, err := b.issue(ctx, m.NewsletterID)
	if err != nil {
		return err
	}
	// The outbox read the person with the message (store.DueOutbox).
	if m.Person.ID == 0 {
		return fmt.Errorf("newsletter copy %d: its person is gone", m.ID)
	}
	m.Body, err = b.newsletterCopy(b.copies.get(), is, m.Person, m.MessageID)
	return err
}

// Done takes back the bytes of a newsletter copy Prepare made, once the
// outbox is done with them, to make another copy in.
func (b *Bot) Done(m *store.Outgoing) {
	if m.NewsletterID != 0 {
		b.copies.put(m.Body)
		m.Body = nil
	}
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
	return b.newsletterCopy(nil, is, p, b.newMessageID())
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
