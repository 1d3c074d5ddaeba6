"""The mutation script (README, "Mutation testing") runs as the README shows; a real run
takes minutes, so here it only lists mutants, which generates and checks them all."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "mutation" / "run_mutants.py"


def test_the_mutation_script_lists_the_mutants_it_would_run() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--module", "accountability",
                             "--module", "ratelimit", "--list"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=True)
    lines = result.stdout.splitlines()
    # the mutants issue 14 found by hand are among those generated
    assert any("standing > 0 -> standing != 0" in line for line in lines)
    assert any("min(burst, tokens + (now - updated) * rate) -> tokens + " in line
               for line in lines)
    assert any("popitem(last=False) -> self._buckets.popitem(last=True)" in line
               for line in lines)
    assert {line.split(":")[0] for line in lines} == {"accountability", "ratelimit"}


def test_a_small_run_kills_the_hand_made_rate_limit_mutants(tmp_path: Path) -> None:
    """End to end (coverage pass, forked children, code swapped in): the two mutants of the
    rate limiter issue 14 made by hand are killed by the tests."""
    report = tmp_path / "run.json"
    result = subprocess.run([sys.executable, str(SCRIPT), "--module", "ratelimit",
                             "--match", "popitem(last=True)", "--match", "-> tokens + (now",
                             "--import-time", "skip", "--json", str(report)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    outcomes = json.loads(report.read_text())
    assert len(outcomes) == 2 and {o["status"] for o in outcomes} == {"killed"}, outcomes
    # each kill names the test that failed first, one of those the rate limiter's run uses
    assert all(o["killer"].startswith("tests/node/test_") and "::" in o["killer"]
               for o in outcomes), outcomes
    assert all(o["why"].startswith("E ") for o in outcomes), outcomes  # its failure line
    assert "killed by tests/node/test_" not in result.stdout  # printed with --verbose only
    assert "ratelimit" in result.stdout and "killed" in result.stdout


def test_the_readme_listing_runs_as_written() -> None:
    """The README's "mutation" block, by bash in the checkout (``.venv/bin/python`` there
    stands for this interpreter)."""
    from readme_blocks import block

    script = block("mutation").replace(".venv/bin/python", sys.executable)
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=True)
    lines = result.stdout.splitlines()
    assert len(lines) == 50 and all(line.startswith("jsondoc:") for line in lines)


def test_every_mutant_of_a_module_compiles() -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import run_mutants
    finally:
        sys.path.remove(str(SCRIPT.parent))
    source, mutants = run_mutants.generate("ratelimit")
    assert len(mutants) > 20
    for mutant in mutants:
        run_mutants.mutated_code(source, mutant, "ratelimit.py")


def test_each_forked_child_gets_its_own_pytest_base_folder(tmp_path: Path) -> None:
    """pytest empties a given ``--basetemp`` the first time a process makes it: children
    forked from one session must not share it, or a child starting beside another deletes
    the files of the other's running test (a false kill)."""
    from _pytest.tmpdir import TempPathFactory

    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import run_mutants
    finally:
        sys.path.remove(str(SCRIPT.parent))

    class Config:
        pass

    class Item:
        config = Config()

    shared = tmp_path / "session"
    run_mutants._SCRATCH[:] = [str(tmp_path)]
    try:
        children = []
        for _ in range(2):  # what each forked child sees: the session's factory, unused yet
            factory = TempPathFactory(shared, 3, "all", lambda *a, **k: None, _ispytest=True)
            Item.config._tmp_path_factory = factory  # type: ignore[attr-defined]
            run_mutants._own_basetemp([Item()])
            children.append(factory.mktemp("test_x"))
            (children[-1] / "db.sqlite").write_text("in use")
        first, second = children
        assert first.parent != second.parent and shared not in first.parents
        assert (first / "db.sqlite").exists()  # the second child's start left it alone
    finally:
        run_mutants._SCRATCH[:] = []
