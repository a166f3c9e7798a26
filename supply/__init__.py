"""The green supply chain: supplier lists (read, check, match, store, review) and the brand read model."""
