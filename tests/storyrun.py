"""The seed story, run as the README shows it: ``python3 examples/two_sites/story.py``.

The command is read from the README (the block marked ``run by tests/conftest.py: story``)
and run with this Python, two free ports, a working folder, ``--figures`` (what each step
observed, as JSON) and ``--keep`` (the nodes stay up for the tests that look at them;
:func:`stop_story` stops them).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from readme_blocks import ROOT, block, free_port


class TwoSites:
    """The story's figures (``figures``), its printed text (``output``), who is who."""

    def __init__(self, workdir: Path, figures: dict[str, Any], output: str) -> None:
        self.workdir = workdir
        self.figures = figures
        self.output = output
        self.sites: dict[str, dict[str, str]] = figures["sites"]
        self.people: dict[str, str] = figures["people"]

    def url(self, site: str) -> str:
        return self.sites[site]["url"]

    def did(self, site: str) -> str:
        return self.sites[site]["did"]


def play_story(workdir: Path) -> TwoSites:
    argv = shlex.split(block("story"))
    assert argv[:2] == ["python3", "examples/two_sites/story.py"], argv
    figures = workdir / "figures.json"
    argv = [sys.executable, *argv[1:], "--workdir", str(workdir), "--ports", str(free_port()),
            str(free_port()), "--figures", str(figures), "--keep"]
    env = dict(os.environ)
    env.pop("CONFIANCE_DATA_DIR", None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"the story failed:\n{done.stdout[-4000:]}\n" \
                                 f"{done.stderr[-4000:]}"
    return TwoSites(workdir, json.loads(figures.read_text(encoding="utf-8")), done.stdout)


def stop_story(workdir: Path) -> None:
    for data_dir in ("e1", "e2"):
        if (workdir / data_dir / "run.json").exists():
            subprocess.run([sys.executable, "-m", "confiance.node.cli", "stop", "--data-dir",
                            str(workdir / data_dir)], capture_output=True, timeout=60,
                           check=False)
