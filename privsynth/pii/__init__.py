"""PII: Presidio engine from local models, scanning and roles, scrubbing, fake identifiers."""
