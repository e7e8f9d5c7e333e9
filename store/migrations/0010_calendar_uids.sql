-- Calendar UIDs must be unique for ever, not only in one database
-- (RFC 5545 section 3.8.4.7): a new season's database numbers its bookings
-- from 1 again, and "booking-1@…" would land on last season's event in
-- people's calendars. Each database gets its own random token for the UIDs
-- of its bookings. Bookings made before this migration keep the UIDs they
-- were sent with, so their updates and cancellations still find the event.
CREATE TABLE calendar_uids (
	id            INTEGER PRIMARY KEY CHECK (id = 1),
	token         TEXT NOT NULL,
	first_booking INTEGER NOT NULL -- bookings from this id on carry the token
);
INSERT INTO calendar_uids (id, token, first_booking)
	VALUES (1, lower(hex(randomblob(8))), coalesce((SELECT max(id) FROM bookings), 0) + 1);
