"""Alerts: the event outbox, subscriptions, matching and delivery by e-mail, webhook, feed and inbox."""
