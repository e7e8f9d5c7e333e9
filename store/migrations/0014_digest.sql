-- The staff digest sent for each local day ("2027-06-15"), written with
-- its outbox rows, so a day's digest goes once however often the bot
-- restarts. A day with nothing to say is recorded too, with no mail.
CREATE TABLE digests (
	day     TEXT PRIMARY KEY,
	sent_at INTEGER NOT NULL
);
-- The digest reads the day's changes to bookings by when they were made.
CREATE INDEX bookings_updated ON bookings (updated_at);
CREATE INDEX outbox_kind_created ON outbox (kind, created_at);
