-- Patron schema, campaign webhooks (issue 7): a webhook campaign posts each
-- message as JSON to its receiver's URL (docs/campaigns.md, "Webhooks").
ALTER TABLE campaigns ADD COLUMN webhook_url TEXT;
