"""Matching: the pure engine, and the matcher that feeds it and writes what it does."""
