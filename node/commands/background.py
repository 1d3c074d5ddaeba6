"""``confiance serve --background`` and ``confiance stop``: a node as a background process.

Why: a script (or a README read top to bottom) that starts a node and then talks to it must
wait until the node serves, and stop it at the end. ``serve --background`` starts
``confiance serve`` as a process of its own (its own session: a Ctrl-C in the shell that
started it does not reach it), its log in ``DATA_DIR/serve.log``, and returns only once the
node's run record (``DATA_DIR/run.json``, :mod:`..running`) names that process: the next
command finds it. If the node cannot start (a taken port, a data directory in use), the
reason is printed from its log and the exit status is 2; a data directory created for that
attempt is not left behind. On success the node's URL is printed on stdout.

``confiance stop`` sends SIGTERM to the process that holds the data directory's lock (the
pid its run record names: a serve removes any older record when it takes the lock, so
while the lock is held the record is the holder's) and waits for it to let go of the lock:
the node has then finished its requests in flight and closed its store.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from confiance.protocol.errors import MalformedDocument

from .init import add_data_dir_argument

__all__ = ["LOG_FILE", "register", "start_in_background", "stop_node"]

LOG_FILE = "serve.log"
#: How long ``serve --background`` waits for the node to serve.
START_TIMEOUT = 60.0


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "stop", help="stop the node running from a data directory (serve --background)",
        description="Stop the node running from the data directory (SIGTERM to the process "
                    "named by DATA_DIR/run.json) and wait until it has stopped. Exit 1 if no "
                    "node runs from it.")
    add_data_dir_argument(parser)
    parser.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                        help="how long to wait for it to stop (default 30)")
    parser.set_defaults(func=run_stop)


def _tail(path: Path, start: int, lines: int = 8) -> str:
    """The last ``lines`` lines written to ``path`` after offset ``start``."""
    try:
        with open(path, "rb") as handle:
            handle.seek(start)
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def start_in_background(data_dir: Path, command_line: list[str], *,
                        log_format: str | None) -> int:
    """Start ``confiance serve`` for ``data_dir`` detached; return once it serves.

    ``command_line`` is the ``serve`` command as given: the background process runs it
    without ``--background`` (whatever other options it has), its log in text lines unless
    ``--log-format`` says otherwise.
    """
    from ..running import read_run_record

    created = not data_dir.exists()
    os.umask(0o077)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    log_path = data_dir / LOG_FILE
    again = [a for a in command_line
             if not (a.startswith("--b") and "--background".startswith(a))]
    argv = [sys.executable, "-m", "confiance.node.cli", *again]
    if log_format is None:
        argv += ["--log-format", "text"]
    with open(log_path, "ab") as log:
        start = log.tell()
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                 start_new_session=True, close_fds=True)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        record = read_run_record(data_dir)
        if record is not None and record.pid == child.pid:
            break
        code = child.poll()
        if code is not None or time.monotonic() > deadline:
            if code is None:
                child.terminate()
                child.wait(timeout=15)
            reason = _tail(log_path, start) or f"exit status {child.returncode}"
            print(f"confiance serve: the node did not start:\n{reason}", file=sys.stderr)
            if created:
                shutil.rmtree(data_dir, ignore_errors=True)
            return 2
        time.sleep(0.05)
    print(record.url)
    print(f"node {record.did} serves {record.url} in the background (pid {record.pid}); "
          f"log: {log_path}; stop it with: confiance stop --data-dir {data_dir}",
          file=sys.stderr)
    return 0


def stop_node(data_dir: Path, *, timeout: float) -> int:
    """SIGTERM to the node running from ``data_dir``; wait until it lets go of the lock."""
    from ..running import find_running_node, is_served

    running = find_running_node(data_dir)
    if running is None or running.record is None:
        print(f"no node is running from {data_dir}", file=sys.stderr)
        return 1
    pid = running.record.pid
    if pid in (os.getpid(), 0) or pid < 0:
        raise MalformedDocument(f"{data_dir}/run.json names pid {pid}: not a node to stop")
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass  # it has just stopped
    except PermissionError:
        raise MalformedDocument(f"the node running from {data_dir} (pid {pid}) is not yours "
                                "to stop") from None
    deadline = time.monotonic() + timeout
    while is_served(data_dir):
        if time.monotonic() > deadline:
            print(f"the node (pid {pid}) is still running after {timeout:g} s", file=sys.stderr)
            return 2
        time.sleep(0.05)
    print(f"stopped the node {running.record.did} (pid {pid}, {running.record.url})",
          file=sys.stderr)
    return 0


def run_stop(args: argparse.Namespace) -> int:
    from ..config import default_data_dir

    return stop_node(Path(args.data_dir or default_data_dir()), timeout=args.timeout)
