"""Evidence of governance: append-only, hash-chained audit entries, the log and its verification."""
