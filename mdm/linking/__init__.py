"""Linking: real-time matching, the batch match, merges and their reasons, the review queue."""
