-- Bookings, the numbered lists and confirmations replies refer to, and the
-- reminders already sent.

CREATE TABLE bookings (
	id           INTEGER PRIMARY KEY,
	session_id   TEXT NOT NULL REFERENCES sessions (id),
	person_id    INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
	places       INTEGER NOT NULL CHECK (places >= 1),
	status       TEXT NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
	source       TEXT NOT NULL CHECK (source IN ('email', 'staff', 'cli')),
	phone        TEXT NOT NULL DEFAULT '',
	access_needs TEXT NOT NULL DEFAULT '',
	-- iCalendar SEQUENCE of this booking's invite: bumped by every update
	-- or cancellation we send for it.
	sequence     INTEGER NOT NULL DEFAULT 0,
	booked_at    INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);
-- One live booking per person per session: asking twice is not booking twice.
CREATE UNIQUE INDEX bookings_live ON bookings (session_id, person_id) WHERE status <> 'cancelled';
-- The waiting list is read in this order.
CREATE INDEX bookings_session ON bookings (session_id, status, booked_at, id);
CREATE INDEX bookings_person ON bookings (person_id, status);

-- A numbered list or a confirmation we sent. A reply names it by the
-- Message-ID it cites (In-Reply-To, References) or by the token in the
-- plus-address of our Reply-To.
CREATE TABLE offers (
	id         INTEGER PRIMARY KEY,
	token      TEXT NOT NULL UNIQUE,
	message_id TEXT NOT NULL UNIQUE,
	person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
	-- A JSON array. book: session ids to choose from; cancel: booking ids
	-- to choose from; booked: the bookings a confirmation or reminder is about.
	kind       TEXT NOT NULL CHECK (kind IN ('book', 'cancel', 'booked')),
	items      TEXT NOT NULL,
	places     INTEGER NOT NULL DEFAULT 0,
	-- What the request that led to a list said, kept for the booking the
	-- reply makes: "2" says nothing about phones or wheelchairs.
	phone      TEXT NOT NULL DEFAULT '',
	needs      TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
);
CREATE INDEX offers_person ON offers (person_id, created_at);

-- Reminders sent, written with the reminder's outbox row: each is sent once.
CREATE TABLE reminders (
	booking_id INTEGER NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
	lead_ms    INTEGER NOT NULL,
	sent_at    INTEGER NOT NULL,
	PRIMARY KEY (booking_id, lead_ms)
);
