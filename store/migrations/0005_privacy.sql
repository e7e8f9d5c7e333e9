-- Privacy: a person's details erased at their request (UK GDPR article
-- 17), by `mailbot forget` or by email, confirmed by their reply.

-- Offers gain "forget": we asked someone to confirm that their details
-- should be erased. Only their own reply to it, citing it, erases them.
CREATE TABLE offers_new (
	id         INTEGER PRIMARY KEY,
	token      TEXT NOT NULL UNIQUE,
	message_id TEXT NOT NULL UNIQUE,
	person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
	kind       TEXT NOT NULL CHECK (kind IN ('book', 'cancel', 'booked', 'join', 'newsletter', 'forget')),
	items      TEXT NOT NULL,
	places     INTEGER NOT NULL DEFAULT 0,
	phone      TEXT NOT NULL DEFAULT '',
	needs      TEXT NOT NULL DEFAULT '',
	join_list  INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);
INSERT INTO offers_new (id, token, message_id, person_id, kind, items, places, phone, needs, join_list, created_at)
	SELECT id, token, message_id, person_id, kind, items, places, phone, needs, join_list, created_at FROM offers;
DROP TABLE offers;
ALTER TABLE offers_new RENAME TO offers;
CREATE INDEX offers_person ON offers (person_id, created_at);

-- An erased person keeps their row, so that the places their bookings
-- hold still count: its email becomes "(erased ID)" — never a valid
-- address, so nobody can write as them — its name empty, and erased_at
-- says when.
ALTER TABLE people ADD COLUMN erased_at INTEGER;

-- The last message to someone erased at their emailed request tells them
-- it is done, so it needs their address until it has gone. Once it is
-- sent (or given up), its address and body go, and with them the sender
-- and subject of the reply that confirmed the erasure — in the same
-- transaction that records the send, so no crash can leave them behind.
-- "forgotten" is the name of that message's template.
CREATE TRIGGER outbox_forgotten_done AFTER UPDATE OF status ON outbox
WHEN NEW.kind = 'forgotten' AND NEW.status <> 'queued'
BEGIN
	UPDATE outbox SET rcpt = '(erased)', body = x'', last_error = '' WHERE id = NEW.id;
	UPDATE inbound SET sender = '', subject = '' WHERE id = NEW.inbound_id;
END;
