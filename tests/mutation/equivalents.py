"""Surviving mutants that are *equivalent*: no test can kill them because they change
nothing a user, a peer or a caller can observe. Keyed by module, then by the mutant's key
as ``run_mutants.py`` prints it (``function: original -> mutated``), so an entry stays
attached to its code while lines move, and drops out (the mutant shows again) when that
code changes. Each reason says why the change cannot be observed.
"""

from __future__ import annotations

EQUIVALENT: dict[str, dict[str, str]] = {
}
