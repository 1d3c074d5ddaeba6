"""Subcommands of the ``confiance`` CLI: one module each, each with ``register(subparsers)``."""
