"""The ``confiance`` command: one entry point, one subcommand module each.

Each module in :mod:`confiance.node.commands` exposes ``register(subparsers)``, which adds its
subcommand and sets ``func(args) -> int``. This module only assembles them and draws the
line between the program and its user: a :class:`ConfianceError` (bad input, failed check)
becomes one clear line on stderr and exit status 2, never a traceback.

Exit statuses: 0 success; 1 a check failed (``verify``); 2 unusable input or arguments.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from confiance.protocol.errors import ConfianceError

from . import __doc__ as _package_doc

# Subcommand modules, in the order `confiance --help` lists them.
COMMAND_MODULES = ("keys", "sign", "verify", "assert_", "init", "serve", "peers", "trust",
                   "graph", "simulate")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="confiance",
        description=(_package_doc or "").strip()
        + " Signed trust assertions, verified offline; a node that federates them.",
    )
    parser.add_argument("--version", action="version", version=f"confiance {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        qualified = f"confiance.node.commands.{name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name == qualified:  # not written yet: skip, anything else is a real error
                continue
            raise
        module.register(sub)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("confiance")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
    except ConfianceError as exc:
        print(f"confiance {args.command}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return int(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
