"""Transitive trust over contextual graphs."""
