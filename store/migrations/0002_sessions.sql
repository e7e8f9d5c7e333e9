-- The timetable: group sessions and one-to-one drop-in slots, keyed by the
-- organiser's own id so a re-import updates rather than duplicates.
CREATE TABLE sessions (
	id          TEXT PRIMARY KEY,
	kind        TEXT NOT NULL CHECK (kind IN ('session', 'dropin')),
	title       TEXT NOT NULL,
	starts_at   INTEGER NOT NULL,
	ends_at     INTEGER NOT NULL CHECK (ends_at > starts_at),
	capacity    INTEGER NOT NULL CHECK (capacity >= 0),
	location    TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	-- iCalendar SEQUENCE (RFC 5545 section 3.8.7.4): bumped when the time or place changes.
	sequence    INTEGER NOT NULL DEFAULT 0,
	updated_at  INTEGER NOT NULL
);
CREATE INDEX sessions_starts ON sessions (starts_at);
