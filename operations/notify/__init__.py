"""Sending what the operational database queued: alert emails over SMTP."""
