"""State: the registry (reads, changes, declarations, history), its audit binding, inventories."""
