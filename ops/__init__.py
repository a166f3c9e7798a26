"""Operations: the command-line interface, the embedded PostGIS cluster."""
