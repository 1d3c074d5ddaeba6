"""The ``confiance`` command: one entry point, one subcommand module each.

Each module in :mod:`confiance.node.commands` exposes ``register(subparsers)``, which adds its
subcommand and sets ``func(args) -> int``. This module only assembles them and draws the
line between the program and its user: a :class:`ConfianceError` (bad input, failed check)
becomes one clear line on stderr and exit status 2, never a traceback.

Start-up time is part of the interface (``tests/benchmarks/bench_cli.py``): only the module
of the subcommand being run is imported; the others appear in ``confiance --help`` through
:data:`COMMANDS`, their one-line summaries (``tests/test_cli.py`` checks that each matches
its module's own ``help``). ``--version`` imports no command at all.

Exit statuses: 0 success; 1 a check failed (``verify``); 2 unusable input or arguments.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from confiance.protocol.errors import ConfianceError

from . import __doc__ as _package_doc

#: Subcommand -> (module in confiance.node.commands, one-line summary), in --help order.
COMMANDS: dict[str, tuple[str, str]] = {
    "keygen": ("keys", "create an Ed25519 key (did:key) and write it to a key file"),
    "sign": ("sign", "sign a JSON-LD document (prints the signed document)"),
    "verify": ("verify", "verify a signed document offline (exit 0 valid, 1 invalid, "
                         "2 unusable)"),
    "assert": ("assert_", "build, validate and sign a Confiance assertion"),
    "init": ("init", "create a node: signing and rotation keys, config, admin token, database"),
    "serve": ("serve", "run a node (creates ./confiance-data on first run)"),
    "stop": ("background", "stop the node running from a data directory (serve --background)"),
    "peers": ("peers", "recognise, list and remove the peers this node gossips with"),
    "trust": ("trust", "explained transitive trust: score one party, or rank them"),
    "marks": ("marks", "publish the definitions (terms and deed) of the marks you award"),
    "rules": ("rules", "publish how this node reads another issuer's marks (conversion rules)"),
    "revoke": ("revoke", "revoke an assertion the node issued (a mark, a rule...)"),
    "submit": ("submit", "send signed assertions to a node (POST /assertions)"),
    "subject": ("subject", "your rights as a subject: accept, reject, export, erase "
                           "(signed requests)"),
    "badges": ("badges", "export a subject's badges as a static site (no node needed to host)"),
    "graph": ("graph", "trust network statistics (KONECT's definitions)"),
    "simulate": ("simulate", "run a trust experiment (scenario file): attacks, prediction, "
                             "federation, statistics"),
}

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _VersionAction(argparse.Action):
    """``--version``, reading the installed version only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        print(f"confiance {_version()}")
        parser.exit()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``command``, only that subcommand's module is imported.

    ``None`` registers every module (complete help for each subcommand, for tests and
    documentation tools).
    """
    parser = argparse.ArgumentParser(
        prog="confiance",
        description=(_package_doc or "").strip()
        + " Signed trust assertions, verified offline; a node that federates them.")
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module_name, summary) in COMMANDS.items():
        if command is not None and name != command:
            sub.add_parser(name, help=summary, add_help=False)  # listed; never parses
            continue
        module = importlib.import_module(f"confiance.node.commands.{module_name}")
        module.register(sub)
    return parser


def _command_in(argv: Sequence[str]) -> str:
    """The subcommand named by ``argv`` ('' when none is: --help, --version, a typo)."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else ""
        if arg in ("-h", "--help", "--version"):
            return ""
    return ""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("confiance")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_in(arguments))
    args = parser.parse_args(arguments)
    args.command_line = arguments  # as given: serve --background runs it again, itself
    try:
        code = args.func(args)
    except ConfianceError as exc:
        print(f"confiance {args.command}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `confiance ... | head`: the reader has what it wanted
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return int(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
