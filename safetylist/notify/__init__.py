"""Reminders and notifications: the rules (data/reminders.yaml), the scan that records each
reminder once, the in-app inbox and delivery over e-mail and a webhook with retries."""
