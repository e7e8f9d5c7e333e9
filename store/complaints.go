package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Complaint is one abuse report about a message of ours.
type Complaint struct {
	PersonID     int64
	OutboxID     int64 // the message complained of, or 0
	NewsletterID int64 // its newsletter, or 0
	FeedbackType string
	Reporter     string
	ReportID     string
}

// RecordComplaint keeps the evidence of a complaint.
func (tx *Tx) RecordComplaint(ctx context.Context, c Complaint, now time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `
		INSERT INTO complaints (person_id, outbox_id, newsletter_id, feedback_type, reporter, report_id, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.PersonID, nullID(c.OutboxID), nullID(c.NewsletterID), c.FeedbackType, c.Reporter, c.ReportID, millis(now)); err != nil {
		return fmt.Errorf("record complaint for person %d: %w", c.PersonID, err)
	}
	return nil
}

// nullID is id for a column that is NULL when there is none.
func nullID(id int64) sql.NullInt64 {
	return sql.NullInt64{Int64: id, Valid: id != 0}
}

// OutboxNewsletter returns the newsletter an outbox message was a copy
// of, or 0.
func (tx *Tx) OutboxNewsletter(ctx context.Context, outboxID int64) (int64, error) {
	var id sql.NullInt64
	err := tx.tx.QueryRowContext(ctx, `SELECT newsletter_id FROM outbox WHERE id = ?`, outboxID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read newsletter of message %d: %w", outboxID, err)
	}
	return id.Int64, nil
}

// NewsletterComplaints counts the complaints about a newsletter and the
// copies of it the server accepted.
func (tx *Tx) NewsletterComplaints(ctx context.Context, newsletterID int64) (complaints, sent int, err error) {
	err = tx.tx.QueryRowContext(ctx, `
		SELECT (SELECT count(*) FROM complaints WHERE newsletter_id = ?),
			(SELECT count(*) FROM outbox WHERE newsletter_id = ? AND status = 'sent')`,
		newsletterID, newsletterID).Scan(&complaints, &sent)
	if err != nil {
		return 0, 0, fmt.Errorf("count complaints about newsletter %d: %w", newsletterID, err)
	}
	return complaints, sent, nil
}

// NoteComplaintAlert records that staff are being told of a newsletter's
// complaint rate, and says false when they were told before.
func (tx *Tx) NoteComplaintAlert(ctx context.Context, newsletterID int64, now time.Time) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `INSERT INTO complaint_alerts (newsletter_id, at) VALUES (?, ?) ON CONFLICT DO NOTHING`, newsletterID, millis(now))
	if err != nil {
		return false, fmt.Errorf("note complaint alert for newsletter %d: %w", newsletterID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UnreadDiagnostic is the diagnostic of a bounce recorded for a report to
// our bounce address that could not be read.
const UnreadDiagnostic = "(a report that could not be read; passed to staff)"

// UnreadSince counts the reports to our bounce addresses since t that
// could not be read.
func (tx *Tx) UnreadSince(ctx context.Context, since time.Time) (int, error) {
	var n int
	if err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM bounces WHERE diagnostic = ? AND at >= ?`,
		UnreadDiagnostic, millis(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count unread reports: %w", err)
	}
	return n, nil
}
