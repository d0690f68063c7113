"""The store: one SQLite database (sqlite-utils) and a content-addressed evidence folder."""
