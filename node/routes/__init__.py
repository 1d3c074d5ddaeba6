"""node/routes."""
