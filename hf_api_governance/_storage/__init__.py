"""Storage: the store protocol and its stores (SQLite embedded, PostgreSQL for many hosts)."""
