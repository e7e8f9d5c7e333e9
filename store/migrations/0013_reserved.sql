-- Number 0013 is reserved for another branch's migration, which replaces
-- this file when the branches meet; until then it does nothing, so the
-- numbers stay in a row for the migrations after it.
SELECT 1;
