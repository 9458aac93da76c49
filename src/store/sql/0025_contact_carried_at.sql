-- When an import of a value's own record last carried it (the import's own
-- time), for learning the decay rate from what sources change (issue 3, R10):
-- a value its record's source replaced is one another value of the kind
-- arrived after (first_seen_at later than this), one it carried again is one
-- still the person's then. last_seen_at cannot tell: orders and events move
-- it too, and they favour values still in use (a dead mailbox places no
-- orders), while a source's re-import is made whatever became of the value.
-- NULL until an import after this migration carries the value. Identity does
-- not read it, so setting it makes no record wait for resolution.
ALTER TABLE contact_points ADD COLUMN carried_at INTEGER;
