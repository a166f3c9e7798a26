"""One blueprint per area of the service."""
