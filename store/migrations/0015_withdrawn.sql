-- A session can be withdrawn (the speaker is ill, the venue floods): it
-- stays, so its bookings and their history still read, but it is no
-- longer on offer. cancel_reason is the organiser's words, told to
-- everyone booked.
ALTER TABLE sessions ADD COLUMN status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'cancelled'));
ALTER TABLE sessions ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '';
