"""Start-up time of the ``confiance`` command, against ``python -c pass`` in the same run.

Run: ``python tests/benchmarks/bench_cli.py [--rounds N]`` (default 15).

Each round runs every case once, in rotation, as a separate process (the installed
``confiance`` script beside this interpreter), so all cases share the machine's noise; the
table gives the median and the fastest wall-clock time per case, and the median minus the
bare interpreter's (what the command itself costs to start).

Cases: ``confiance --version``, ``confiance keygen`` (writes a key file), ``confiance verify``
on a signed Rating made once before the rounds, and ``confiance --help`` (which must stay
complete without importing every command's dependencies).

Goal (issue 9): ``--version`` and ``keygen`` under 0.3 s on the development machine. To see
where the time goes: ``python -X importtime -m confiance.node.cli keygen -o k.json``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _confiance() -> str:
    script = BIN / "confiance"
    if not script.exists():
        sys.exit(f"no confiance script beside {sys.executable}: pip install -e . first")
    return str(script)


def _time(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()[:300]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    confiance = _confiance()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subprocess.run([confiance, "keygen", "-o", "me.json"], cwd=work, check=True,
                       capture_output=True)
        signed = subprocess.run(
            [confiance, "assert", "rating", "--key", "me.json", "--subject",
             "did:example:bob", "--context", "seller", "--score", "4", "--scale", "1:5"],
            cwd=work, check=True, capture_output=True)
        (work / "rating.json").write_bytes(signed.stdout)
        cases: dict[str, list[str]] = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "confiance --version": [confiance, "--version"],
            "confiance --help": [confiance, "--help"],
            "confiance keygen": [confiance, "keygen", "-o", "k.json", "--force"],
            "confiance verify": [confiance, "verify", "rating.json"],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, argv in cases.items():
                times[name].append(_time(argv, work))
    base = statistics.median(times["python -c pass"])
    print(f"{'case':<22} {'median s':>9} {'fastest s':>10} {'median - python':>16}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<22} {median:>9.3f} {min(values):>10.3f} {median - base:>16.3f}")
    print(f"({args.rounds} rounds, each case once per round in rotation; goal: --version and "
          "keygen under 0.300 s)")


if __name__ == "__main__":
    main()
