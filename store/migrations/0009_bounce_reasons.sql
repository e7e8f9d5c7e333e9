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
