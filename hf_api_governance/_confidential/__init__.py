"""Clause 1.1.1, confidentiality: secrets, redaction, secret-free evidence, the keystore."""
