-- The gateway's own id of a message (an SMS provider's message id), kept
-- beside Patron's message id. A delivery receipt that names only the
-- provider's id (Twilio's status callbacks) finds its row through it, for a
-- journey's sends as well as a campaign's; Patron's id stays what a
-- journey's crash recovery compares and what an email's bounce names.
ALTER TABLE campaign_recipients ADD COLUMN provider_message_id TEXT;
CREATE INDEX campaign_recipients_provider_message ON campaign_recipients(provider_message_id)
  WHERE provider_message_id IS NOT NULL;
