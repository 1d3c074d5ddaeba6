"""Creating a node's data directory: keys, configuration, admin token, database.

Shared by ``confiance init`` and by ``confiance serve`` (which initialises a default data
directory when there is none, so the quickstart's first command gives a running node).
Every file is written with mode 0600 from the first byte (``O_EXCL``), the directory with
0700: the configuration says where the keys and the token are, the databases hold who
rated whom and the peers. :func:`tighten_modes` brings an older data directory (whose
``confiance.toml`` and ``gossip.sqlite3`` were 0644) to the same modes when it is served.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from confiance.protocol.errors import MalformedDocument

from .config import CONFIG_FILE, NodeConfig, config_to_toml

__all__ = ["InitResult", "initialise_data_dir", "is_initialised", "read_admin_token",
           "tighten_modes"]

KEYRING_FILE = "keyring.json"  # .keyring's; named here so that reading needs no crypto import
#: Files of the data directory kept private (the keys have their own 0700 folder).
PRIVATE_FILES = ("confiance.toml", "admin.token", "confiance.sqlite3", "confiance.sqlite3-wal",
                 "confiance.sqlite3-shm", "gossip.sqlite3", "gossip.sqlite3-wal",
                 "gossip.sqlite3-shm", "run.json", "serve.lock")


@dataclass(frozen=True)
class InitResult:
    data_dir: Path
    created: tuple[str, ...]


def is_initialised(data_dir: Path) -> bool:
    return (data_dir / CONFIG_FILE).exists() and (data_dir / "keys" / KEYRING_FILE).exists()


def _write_new(path: Path, text: str, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(path, mode)


def initialise_data_dir(config: NodeConfig, *, now: datetime) -> InitResult:
    """Create what is missing in ``config.data_dir``; never overwrite a key or a token."""
    import tomli_w

    from .keyring import Keyring
    from .storage import create_database

    root = config.data_dir
    created: list[str] = []
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not (config.keys_dir / KEYRING_FILE).exists():
        if any(config.keys_dir.glob("*.secret.json")):
            raise MalformedDocument(f"{config.keys_dir} holds keys but no keyring.json: "
                                    "refusing to overwrite them")
        Keyring.create(config.keys_dir, now=now)
        created += ["keys/key-1.secret.json", "keys/rotation-1.secret.json",
                    "keys/keyring.json"]
    if not config.config_path.exists():
        _write_new(config.config_path, tomli_w.dumps(config_to_toml(config)), 0o600)
        created.append(CONFIG_FILE)
    if not config.admin_token_path.exists():
        _write_new(config.admin_token_path, secrets.token_urlsafe(32) + "\n", 0o600)
        created.append("admin.token")
    existed = config.database_path.exists()
    create_database(config.database_path)
    if not existed:
        os.chmod(config.database_path, 0o600)  # SQLite gives -wal and -shm the same mode
        created.append(config.database_path.name)
    return InitResult(data_dir=root, created=tuple(created))


def tighten_modes(data_dir: Path) -> list[str]:
    """Make the data directory 0700 and its files 0600; the names of the files changed."""
    changed = []
    if data_dir.stat().st_mode & 0o077:
        os.chmod(data_dir, 0o700)
        changed.append(".")
    for name in PRIVATE_FILES:
        path = data_dir / name
        try:
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
                changed.append(name)
        except FileNotFoundError:
            continue
    return changed


def read_admin_token(config: NodeConfig) -> str:
    try:
        token = config.admin_token_path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise MalformedDocument(f"cannot read {config.admin_token_path}: {exc}") from None
    if len(token) < 16:
        raise MalformedDocument(f"{config.admin_token_path} holds no usable token")
    return token
