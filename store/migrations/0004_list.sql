-- The mailing list: who joined and how they consented, who left, what
-- bounced, and the newsletters themselves.

-- Offers gain two kinds: "join", a request to confirm joining the list,
-- and "newsletter", a staff member's preview waiting for SEND. join_list
-- marks a booking confirmation that offered the list: a "yes" to it joins.
CREATE TABLE offers_new (
	id         INTEGER PRIMARY KEY,
	token      TEXT NOT NULL UNIQUE,
	message_id TEXT NOT NULL UNIQUE,
	person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
	kind       TEXT NOT NULL CHECK (kind IN ('book', 'cancel', 'booked', 'join', 'newsletter')),
	items      TEXT NOT NULL,
	places     INTEGER NOT NULL DEFAULT 0,
	phone      TEXT NOT NULL DEFAULT '',
	needs      TEXT NOT NULL DEFAULT '',
	join_list  INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);
INSERT INTO offers_new (id, token, message_id, person_id, kind, items, places, phone, needs, created_at)
	SELECT id, token, message_id, person_id, kind, items, places, phone, needs, created_at FROM offers;
DROP TABLE offers;
ALTER TABLE offers_new RENAME TO offers;
CREATE INDEX offers_person ON offers (person_id, created_at);

-- One row per person who ever asked to join. Consent is kept as evidence
-- (UK GDPR article 7(1)): when, how, and the message that gave it.
CREATE TABLE subscriptions (
	person_id       INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
	status          TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'unsubscribed', 'lapsed')),
	-- How the request to join came: email (their own), staff (on their
	-- behalf), booking (a yes to a booking confirmation), cli.
	source          TEXT NOT NULL,
	asked_at        INTEGER NOT NULL,
	-- The last request to confirm we sent: at most one a day.
	request_sent_at INTEGER,
	consented_at    INTEGER,
	consent_how     TEXT NOT NULL DEFAULT '',
	consent_message TEXT NOT NULL DEFAULT '',
	left_at         INTEGER,
	left_how        TEXT NOT NULL DEFAULT '',
	updated_at      INTEGER NOT NULL
);
CREATE INDEX subscriptions_status ON subscriptions (status, person_id);

-- Mail to a suppressed address stops until they write to us again.
ALTER TABLE people ADD COLUMN suppressed_at INTEGER;
ALTER TABLE people ADD COLUMN suppressed_why TEXT NOT NULL DEFAULT '';

CREATE TABLE newsletters (
	id         INTEGER PRIMARY KEY,
	subject    TEXT NOT NULL,
	markdown   TEXT NOT NULL,
	-- The sessions {{sessions}} listed, in order (a JSON array of ids), so
	-- a reply "2" to any copy books the second.
	sessions   TEXT NOT NULL DEFAULT '[]',
	-- "cli", or the staff address that sent it by email.
	source     TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	-- When its outbox rows were written; NULL while it is a preview.
	queued_at  INTEGER,
	-- Sending the same subject and text again resumes this newsletter
	-- rather than starting another.
	digest     TEXT NOT NULL
);
CREATE INDEX newsletters_digest ON newsletters (digest);

-- The outbox gains list mail. A newsletter copy is one row like any other,
-- but its bytes are made when it is sent, from the newsletter and the
-- person: a hundred thousand rendered copies would be gigabytes. It is the
-- same bytes every attempt: the Message-ID is fixed here and the Date is
-- the newsletter's. "dropped" is a copy not sent because its person left
-- the list, or bounced, after it was queued.
CREATE TABLE outbox_new (
	id            INTEGER PRIMARY KEY,
	kind          TEXT NOT NULL,
	message_id    TEXT NOT NULL UNIQUE,
	mail_from     TEXT NOT NULL,
	rcpt          TEXT NOT NULL,
	body          BLOB NOT NULL,
	inbound_id    INTEGER REFERENCES inbound (id) ON DELETE SET NULL,
	status        TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'dropped')),
	attempts      INTEGER NOT NULL DEFAULT 0,
	next_attempt  INTEGER NOT NULL,
	last_error    TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	sent_at       INTEGER,
	-- List mail waits behind replies to people.
	bulk          INTEGER NOT NULL DEFAULT 0,
	newsletter_id INTEGER REFERENCES newsletters (id),
	person_id     INTEGER REFERENCES people (id) ON DELETE SET NULL
);
INSERT INTO outbox_new (id, kind, message_id, mail_from, rcpt, body, inbound_id, status, attempts, next_attempt, last_error, created_at, sent_at)
	SELECT id, kind, message_id, mail_from, rcpt, body, inbound_id, status, attempts, next_attempt, last_error, created_at, sent_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (bulk, next_attempt, id) WHERE status = 'queued';
CREATE INDEX outbox_rcpt ON outbox (rcpt COLLATE NOCASE, created_at);
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX outbox_newsletter ON outbox (newsletter_id, status) WHERE newsletter_id IS NOT NULL;

CREATE TABLE bounces (
	id          INTEGER PRIMARY KEY,
	person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
	outbox_id   INTEGER REFERENCES outbox (id) ON DELETE SET NULL,
	status      TEXT NOT NULL,
	hard        INTEGER NOT NULL,
	diagnostic  TEXT NOT NULL,
	at          INTEGER NOT NULL
);
CREATE INDEX bounces_person ON bounces (person_id, at);
