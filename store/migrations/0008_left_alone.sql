-- What a database's first look at a mailbox found already read (\Seen): mail
-- handled before this database existed, so it is not handled again unless
-- the operator asks (mailbot run --replay-seen). Ranges of UIDs, as IMAP
-- writes them, so a mailbox of years of mail is a row or two.
CREATE TABLE mailbox_left_alone (
	mailbox      TEXT NOT NULL REFERENCES mailbox_state (mailbox) ON DELETE CASCADE,
	uid_validity INTEGER NOT NULL,
	first_uid    INTEGER NOT NULL,
	last_uid     INTEGER NOT NULL,
	PRIMARY KEY (mailbox, uid_validity, first_uid)
);
