-- Places left are counted for every upcoming session each time a message
-- is read, so the count reads this index alone, not each booking's row.
CREATE INDEX bookings_places ON bookings (session_id, status, places);
