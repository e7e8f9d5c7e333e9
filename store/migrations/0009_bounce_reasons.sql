-- Why each delivery failed (sisimai's reason names: userunknown,
-- mailboxfull, authfailure, blocked, …) and whether the failure was the
-- council's own (its authentication, IP, content or rate): such a failure
-- never counts against the recipient, and enough of them pause bulk mail.
-- Bounces recorded before this migration keep reason '' and sender 0.
ALTER TABLE bounces ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE bounces ADD COLUMN sender INTEGER NOT NULL DEFAULT 0;
CREATE INDEX bounces_sender ON bounces (at) WHERE sender = 1;

-- Bulk mail (newsletters) held back because receiving servers refuse the
-- council's mail: one row, present while paused. Replies to people still
-- go. `mailbot newsletter resume` deletes it.
CREATE TABLE bulk_pause (
	id        INTEGER PRIMARY KEY CHECK (id = 1),
	paused_at INTEGER NOT NULL,
	why       TEXT NOT NULL
);

-- Abuse complaints (RFC 5965 feedback reports): the person was taken off
-- the list at once; this is the evidence, and what the complaint rate of
-- a newsletter is counted from. Bookings are never touched by one.
CREATE TABLE complaints (
	id            INTEGER PRIMARY KEY,
	person_id     INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
	outbox_id     INTEGER REFERENCES outbox (id) ON DELETE SET NULL,
	newsletter_id INTEGER REFERENCES newsletters (id) ON DELETE SET NULL,
	feedback_type TEXT NOT NULL,
	reporter      TEXT NOT NULL, -- the report's User-Agent: whose feedback loop
	report_id     TEXT NOT NULL, -- the report's own Message-ID, to find it in the mailbox
	at            INTEGER NOT NULL
);
CREATE INDEX complaints_newsletter ON complaints (newsletter_id) WHERE newsletter_id IS NOT NULL;

-- Newsletters whose complaint rate staff were told of, so they are told
-- once.
CREATE TABLE complaint_alerts (
	newsletter_id INTEGER PRIMARY KEY REFERENCES newsletters (id) ON DELETE CASCADE,
	at            INTEGER NOT NULL
);
