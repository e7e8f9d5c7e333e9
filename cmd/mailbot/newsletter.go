package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/betterdays/mailbot/mailbot"
	"github.com/betterdays/mailbot/store"
)

// errDryRun rolls back the dry run's draft: it writes nothing.
var errDryRun = errors.New("dry run")

// newsletterSend queues a newsletter for every confirmed subscriber and
// sends it, showing progress, until every copy is sent or has failed. Run
// again with the same subject and file, it resumes: nobody gets it twice,
// and nobody is skipped.
func newsletterSend(ctx context.Context, e *env, args []string) error {
	fs := e.flags("newsletter send")
	subject := fs.String("subject", "", "the newsletter's `SUBJECT`")
	file := fs.String("file", "", "its text, in Markdown (`BODY.md`); {{sessions}} lists the sessions coming up")
	dry := fs.Bool("dry-run", false, "show one copy and count the recipients; send nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 || strings.TrimSpace(*subject) == "" || *file == "" {
		return wrongArgs("want --subject and --file")
	}
	body, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	st, bot, err := openBot(ctx, e, false)
	if err != nil {
		return err
	}
	defer st.Close()
	var n store.Newsletter
	var queued int
	err = st.Write(ctx, func(tx *store.Tx) error {
		var err error
		if n, err = bot.DraftNewsletter(ctx, tx, *subject, string(body), "cli"); err != nil {
			return err
		}
		if *dry {
			return errDryRun
		}
		queued, err = bot.QueueNewsletter(ctx, tx, n)
		return err
	})
	if *dry && errors.Is(err, errDryRun) {
		return dryRun(ctx, e, st, bot, n)
	}
	if err != nil {
		return err
	}
	p, err := st.NewsletterProgress(ctx, n.ID)
	if err != nil {
		return err
	}
	if queued > 0 {
		fmt.Fprintf(e.stderr, "newsletter %d queued for %s; it should have reached everyone %s.\n", n.ID, people(queued), bot.Finish(queued))
	} else {
		fmt.Fprintf(e.stderr, "newsletter %d was queued before: resuming, %d of %d left.\n", n.ID, p.Queued, p.Total())
	}
	if pause, err := st.BulkPause(ctx); err != nil {
		return err
	} else if pause.Paused {
		fmt.Fprintf(e.stderr, "list mail is paused since %s (%s): the copies wait. Once the council's mail set-up is fixed, run `mailbot newsletter resume`.\n",
			pause.Since.Format(time.RFC3339), pause.Why)
		return nil
	}
	if e.cfg.Embedded {
		fmt.Fprintln(e.stderr, "With the embedded mail server, `mailbot run` sends it, starting within a minute.")
		return nil
	}
	return sendNewsletter(ctx, e, st, bot, n.ID)
}

// newsletterResume lets list mail go again after the bot paused it
// (mail servers refusing the council's own mail: its SPF, DKIM, DMARC,
// reverse DNS or a block list). A running `mailbot run` picks it up
// within a minute; the copies queued meanwhile go then, once each.
func newsletterResume(ctx context.Context, e *env, args []string) error {
	fs := e.flags("newsletter resume")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return wrongArgs("newsletter resume takes no arguments")
	}
	st, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := st.ResumeBulk(ctx)
	if err != nil {
		return err
	}
	if !p.Paused {
		fmt.Fprintln(e.stdout, "list mail was not paused; nothing to do.")
		return nil
	}
	e.log.Info("list mail resumed by the operator", "paused_at", p.Since, "why", p.Why)
	fmt.Fprintf(e.stdout, "list mail resumed: it had been paused since %s (%s). `mailbot run` sends what waits within a minute.\n",
		p.Since.Format(time.RFC3339), p.Why)
	return nil
}

// dryRun prints one copy, as its first recipient would get it, and how
// many would get it.
func dryRun(ctx context.Context, e *env, st *store.Store, bot *mailbot.Bot, n store.Newsletter) error {
	count, err := st.CountConfirmed(ctx)
	if err != nil {
		return err
	}
	sample, err := bot.Sample(n, store.Person{Email: "sample.reader@example.org", Name: "Sample Reader"})
	if err != nil {
		return err
	}
	e.stdout.Write(sample)
	fmt.Fprintf(e.stderr, "dry run: would go to %s; it should reach everyone %s. Nothing was sent.\n", people(count), bot.Finish(count))
	return nil
}

// sendNewsletter runs the outbox until newsletter id has no copy left to
// send, printing progress. If `mailbot run` is sending already, it leaves
// the sending to it and only follows along.
func sendNewsletter(ctx context.Context, e *env, st *store.Store, bot *mailbot.Bot, id int64) error {
	ob := bot.NewOutbox(e.log.With("part", "outbox"))
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ob.Run(runCtx) }()
	defer func() { stop(); <-done }()

	pr := newProgress(e.stderr)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		p, err := st.NewsletterProgress(ctx, id)
		if err != nil {
			return err
		}
		pr.show(p, bot)
		if p.Queued == 0 {
			pr.end(p)
			return nil
		}
		select {
		case <-ctx.Done():
			pr.end(p)
			fmt.Fprintln(e.stderr, "stopped: run the same command again to carry on.")
			return nil
		case <-tick.C:
		}
	}
}

// progress shows sent / failed / left, the rate and the time to go: on one
// rewritten line on a terminal, every ten seconds in a log.
type progress struct {
	w        io.Writer
	terminal bool
	width    func() int // the terminal's columns now (it may be resized)
	start    time.Time
	first    int // sent when progress began: the rate is this run's
	last     time.Time
}

func newProgress(w io.Writer) *progress {
	pr := &progress{w: w, start: time.Now(), first: -1}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			pr.terminal = true
			pr.width = func() int { return termWidth(f) }
		}
	}
	return pr
}

func (pr *progress) line(p store.NewsletterProgress, bot *mailbot.Bot) string {
	if pr.first < 0 {
		pr.first = p.Sent
	}
	elapsed := time.Since(pr.start).Seconds()
	rate := float64(p.Sent-pr.first) / max(elapsed, 0.001)
	togo := "-"
	switch {
	case p.Queued == 0:
		togo = "done"
	case rate > 0:
		togo = (time.Duration(float64(p.Queued)/rate) * time.Second).Round(time.Second).String()
	case bot != nil:
		togo = bot.Finish(p.Queued)
	}
	long := fmt.Sprintf("sent %d, failed %d, not sent (left the list or bounced) %d, left %d; %.1f/s; to go: %s",
		p.Sent, p.Failed, p.Dropped, p.Queued, rate, togo)
	if !pr.terminal {
		return long
	}
	short := fmt.Sprintf("sent %d, failed %d, not sent %d, left %d; %.1f/s; %s", p.Sent, p.Failed, p.Dropped, p.Queued, rate, togo)
	return fitWidth(pr.width(), long, short)
}

// fitWidth is the first of lines that fits in a terminal width columns
// wide, else the last cut to fit: a line that wraps cannot be rewritten
// in place, and each update would leave a line behind. One column is
// kept free, as some terminals wrap at the last one. A width of 0 (not
// known) is taken as 80.
func fitWidth(width int, lines ...string) string {
	if width <= 0 {
		width = 80
	}
	room := max(width-1, 1)
	for _, l := range lines {
		if utf8.RuneCountInString(l) <= room {
			return l
		}
	}
	last := []rune(lines[len(lines)-1])
	return string(last[:room])
}

func (pr *progress) show(p store.NewsletterProgress, bot *mailbot.Bot) {
	switch {
	case pr.terminal:
		fmt.Fprintf(pr.w, "\r\033[K%s", pr.line(p, bot))
	case time.Since(pr.last) >= 10*time.Second:
		fmt.Fprintln(pr.w, pr.line(p, bot))
		pr.last = time.Now()
	}
}

func (pr *progress) end(p store.NewsletterProgress) {
	if pr.terminal {
		fmt.Fprintln(pr.w)
	}
	fmt.Fprintln(pr.w, pr.line(p, nil))
}

// people is "1 person", "2 people".
func people(n int) string {
	if n == 1 {
		return "1 person"
	}
	return fmt.Sprintf("%d people", n)
}
