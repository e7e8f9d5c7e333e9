package store

import (
	"context"
	"fmt"
	"time"
)

// NotePerson records that email (with the display name they gave, if any)
// has written to us, and returns their id. A name already known is only
// replaced by a non-empty one.
func (tx *Tx) NotePerson(ctx context.Context, email, name string, now time.Time) (int64, error) {
	var id int64
	err := tx.tx.QueryRowContext(ctx, `
		INSERT INTO people (email, name, created_at, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (email) DO UPDATE SET
			name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE name END,
			updated_at = excluded.updated_at
		RETURNING id`,
		email, name, millis(now), millis(now)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("note person %s: %w", email, err)
	}
	return id, nil
}
