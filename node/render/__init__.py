"""node/render."""
