-- The backbone: what came in, who wrote, what goes out.
-- Every time is Unix milliseconds, UTC.

-- Where the inbox reader has got to in each mailbox. A change of
-- UIDVALIDITY (RFC 9051 section 2.3.1.1) invalidates last_uid.
CREATE TABLE mailbox_state (
	mailbox      TEXT PRIMARY KEY,
	uid_validity INTEGER NOT NULL,
	last_uid     INTEGER NOT NULL
);

CREATE TABLE people (
	id         INTEGER PRIMARY KEY,
	email      TEXT NOT NULL UNIQUE COLLATE NOCASE,
	name       TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);

-- One row per inbound message handled, written in the same transaction as
-- its effects and replies. message_key is the Message-ID, or a digest of the
-- raw message when it has none, so a redelivered copy is recognised.
CREATE TABLE inbound (
	id           INTEGER PRIMARY KEY,
	message_key  TEXT NOT NULL UNIQUE,
	mailbox      TEXT NOT NULL,
	uid_validity INTEGER NOT NULL,
	uid          INTEGER NOT NULL,
	sender       TEXT NOT NULL,
	subject      TEXT NOT NULL,
	size         INTEGER NOT NULL,
	received_at  INTEGER NOT NULL,
	handled_at   INTEGER NOT NULL,
	outcome      TEXT NOT NULL,
	-- 0 until the message is flagged \Seen (or moved) on the server; rows
	-- left at 0 by a crash are finished when the inbox reconnects.
	marked       INTEGER NOT NULL DEFAULT 0,
	UNIQUE (mailbox, uid_validity, uid)
);
CREATE INDEX inbound_unmarked ON inbound (mailbox, uid_validity) WHERE marked = 0;

-- Every message we send, fully rendered when queued so its Message-ID and
-- bytes never change between attempts.
CREATE TABLE outbox (
	id           INTEGER PRIMARY KEY,
	kind         TEXT NOT NULL,
	message_id   TEXT NOT NULL UNIQUE,
	mail_from    TEXT NOT NULL,
	rcpt         TEXT NOT NULL,
	body         BLOB NOT NULL,
	inbound_id   INTEGER REFERENCES inbound (id) ON DELETE SET NULL,
	status       TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL,
	last_error   TEXT NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	sent_at      INTEGER
);
CREATE INDEX outbox_due ON outbox (next_attempt, id) WHERE status = 'queued';
CREATE INDEX outbox_rcpt ON outbox (rcpt COLLATE NOCASE, created_at);
