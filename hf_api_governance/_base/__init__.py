"""Foundations every layer uses: the clock, argument checks, encodings and atomic files."""
