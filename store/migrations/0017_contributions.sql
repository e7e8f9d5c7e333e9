-- Contributions to the conversation: a person's views, kept with their
-- consent for the programme to use them. consent is 'asked' until they
-- answer, then 'yes' (use it, without their name), 'named' (use it, with
-- their name) or 'no'; nothing is used before they answer. Forgetting
-- the person deletes them.
CREATE TABLE contributions (
	id          INTEGER PRIMARY KEY,
	person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
	received_at INTEGER NOT NULL,
	text        TEXT NOT NULL,
	consent     TEXT NOT NULL DEFAULT 'asked' CHECK (consent IN ('asked', 'yes', 'named', 'no'))
);
CREATE INDEX contributions_person ON contributions (person_id, consent);
CREATE INDEX contributions_received ON contributions (received_at);

-- Offers gain "views": the thank-you for a contribution, whose reply
-- (YES, NAME ME or NO) is the person's consent; and "resume": the news to
-- staff that list mail is paused, whose reply SEND lets it go again.
CREATE TABLE offers_new (
	id         INTEGER PRIMARY KEY,
	token      TEXT NOT NULL UNIQUE,
	message_id TEXT NOT NULL UNIQUE,
	person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
	kind       TEXT NOT NULL CHECK (kind IN ('book', 'cancel', 'booked', 'join', 'newsletter', 'forget', 'prove', 'access', 'views', 'resume')),
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
