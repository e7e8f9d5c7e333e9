-- Offers gain "access": we asked someone whether they want a copy of
-- everything we hold about them (UK GDPR article 15). Only their own
-- reply citing it sends the copy, and only to that address.
CREATE TABLE offers_new (
	id         INTEGER PRIMARY KEY,
	token      TEXT NOT NULL UNIQUE,
	message_id TEXT NOT NULL UNIQUE,
	person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
	kind       TEXT NOT NULL CHECK (kind IN ('book', 'cancel', 'booked', 'join', 'newsletter', 'forget', 'prove', 'access')),
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
INSERT INTO offers_new SELECT id, token, message_id, person_id, kind, items, places, phone, needs, join_list, created_at, words, subject, parent FROM offers;
DROP TABLE offers;
ALTER TABLE offers_new RENAME TO offers;
CREATE INDEX offers_person ON offers (person_id, created_at);
