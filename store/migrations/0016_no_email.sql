-- People booked by phone or in person who have no email address. Their
-- address is one at no-email.invalid (RFC 2606: no mail reaches it), made
-- from their phone number or name, so booking them again finds them; what
-- they would have been sent goes to contact, the staff address that booked
-- them ('' for every staff address), with their phone at the top.
ALTER TABLE people ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN contact TEXT NOT NULL DEFAULT '';
