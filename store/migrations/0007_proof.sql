-- Proof of who is writing. A stranger can put anyone's address in From;
-- what would give up or take places for that person, or join them to
-- the list, waits for their own reply when nothing else proves the
-- message is theirs.

-- Offers gain "prove": we asked someone whether a message in their name
-- was theirs. It keeps what that message said (words, subject), the
-- offer it answered (parent), and, in items, what it would do, in the
-- words the question used: their YES does it only if it still would.
CREATE TABLE offers_new (
	id         INTEGER PRIMARY KEY,
	token      TEXT NOT NULL UNIQUE,
	message_id TEXT NOT NULL UNIQUE,
	person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
	kind       TEXT NOT NULL CHECK (kind IN ('book', 'cancel', 'booked', 'join', 'newsletter', 'forget', 'prove')),
	items      TEXT NOT NULL,
	places     INTEGER NOT NULL DEFAULT 0,
	phone      TEXT NOT NULL DEFAULT '',
	needs      TEXT NOT NULL DEFAULT '',
	join_list  INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	words      TEXT NOT NULL DEFAULT '',
	subject    TEXT NOT NULL DEFAULT '',
	parent     INTEGER
);
INSERT INTO offers_new (id, token, message_id, person_id, kind, items, places, phone, needs, join_list, created_at)
	SELECT id, token, message_id, person_id, kind, items, places, phone, needs, join_list, created_at FROM offers;
DROP TABLE offers;
ALTER TABLE offers_new RENAME TO offers;
CREATE INDEX offers_person ON offers (person_id, created_at);

-- Whether a message proved its sender: mail to messages that did, and to
-- those that did not, has a reply limit each, so a forger's flood in
-- someone's name can't use up theirs.
ALTER TABLE inbound ADD COLUMN proven INTEGER NOT NULL DEFAULT 0;
