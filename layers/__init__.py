"""The layer catalog: one module per map layer, registered once."""
