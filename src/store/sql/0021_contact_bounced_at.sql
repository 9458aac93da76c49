-- When a contact value was found bounced (issue 3, learning the decay rate):
-- by a campaign's hard bounce, or by the source that exported it (an
-- `email_bounced_at` column). NULL for a bounce without a date of its own,
-- such as a list's bare "bounced" status.
ALTER TABLE contact_points ADD COLUMN bounced_at INTEGER;
