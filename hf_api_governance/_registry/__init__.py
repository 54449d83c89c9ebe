"""State: the registry, the store protocol and its SQLite store, and the inventory file format."""
