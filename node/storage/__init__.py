"""node/storage."""
