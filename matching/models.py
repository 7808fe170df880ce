"""Matching models (block keys, rules, candidates) arrive with the matching engine."""
