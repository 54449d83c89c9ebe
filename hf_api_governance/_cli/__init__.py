"""The hf-gov command line."""
