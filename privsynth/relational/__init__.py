"""Sets of linked tables: their relations, validated against the data, and their scan."""
