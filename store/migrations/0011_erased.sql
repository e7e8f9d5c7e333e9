-- Who was erased, as a digest of the address alone: an old mailing list
-- imported later (`mailbot subscribers import`) must not bring back
-- someone who asked to be forgotten. The digest names nobody by itself;
-- it only recognises the address when it is offered again.
CREATE TABLE erased (
	digest    TEXT PRIMARY KEY,
	erased_at INTEGER NOT NULL
);
