-- How to join an online session (a meeting link and any ID or passcode),
-- in the organiser's own words: given in the confirmation, every reminder
-- and the calendar invite. Empty until the organiser has it.
ALTER TABLE sessions ADD COLUMN joining TEXT NOT NULL DEFAULT '';
