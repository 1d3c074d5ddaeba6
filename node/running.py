"""Finding the node that runs from a data directory, and talking to it without leaking its token.

Why this module exists: the CLI used to look for "the running node" at the port written in
``confiance.toml``, while ``serve --port`` may listen elsewhere; it then sent the admin
token to whatever answered there (another node, any program), or wrote changes to the data
directory that the running node never read. Now:

- **one serve per data directory.** ``confiance serve`` holds an exclusive ``flock`` on
  ``DATA_DIR/serve.lock`` for its whole life (:class:`ServeLock`); a second ``serve`` on
  the same directory refuses with a clear message. The kernel drops the lock when the
  process dies, however it dies, so the lock, not a pid, says whether a node runs;
- **a run record.** Once it listens, the node writes ``DATA_DIR/run.json`` (mode 0600):
  the URL where it really listens, its pid, its DID, when it started
  (:class:`RunRecord`). It removes the record on exit; a record left by a killed process is
  recognised as stale (the lock is free) and removed by the next reader;
- **identity before the token.** :func:`admin_call` finds the node (the record, or an
  explicit ``--node URL``), fetches ``/.well-known/confiance`` *without* credentials and
  checks that it names this data directory's DID (the record's) and presents one of the
  signing keys of ``DATA_DIR/keys/keyring.json``. Only then does it send the token. Anything
  else is :class:`NotThisNode`: the token stays home, and the message says why;
- **no node, no pretence.** :func:`admin_call` returns ``None`` when no node runs from the
  data directory: the caller then writes to the data directory and says so.

Public API (for commands: ``peers``, and later ``marks``, ``badges export --node``...)::

    find_running_node(data_dir, node_url=None) -> RunningNode | None
    is_served(data_dir) -> bool                  # a serve holds the lock
    admin_call(config, method, path, body=None, *, node_url=None) -> NodeAnswer | None
    connect_admin(config, node_url=None) -> AdminClient | None   # .call(), .descriptor
    node_request(url, method, path, body=None, *, token=None) -> NodeAnswer
    check_identity(running, config) -> dict      # the descriptor, or NotThisNode
    ServeLock.acquire(data_dir) / .publish(record) / .release()     # for serve
    read_run_record(data_dir) -> RunRecord | None

Outbound HTTP: this module and :mod:`.peers` are the only ones making requests
(``tests/test_layering.py``). It uses the standard library's ``http.client``: no redirects
are ever followed (a redirect could carry the token elsewhere), and the CLI does not pay
aiohttp's import time for one request.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from confiance.protocol.errors import ConfianceError

if TYPE_CHECKING:
    from .config import NodeConfig

__all__ = [
    "LOCK_FILE",
    "RUN_RECORD",
    "AdminClient",
    "DataDirInUse",
    "NodeAnswer",
    "NodeUnreachable",
    "NotThisNode",
    "RunRecord",
    "RunningNode",
    "RunningNodeError",
    "ServeLock",
    "admin_call",
    "check_identity",
    "connect_admin",
    "find_running_node",
    "is_served",
    "local_url",
    "new_record",
    "node_request",
    "read_run_record",
]

RUN_RECORD = "run.json"
LOCK_FILE = "serve.lock"
MAX_ANSWER_BYTES = 8 * 1024 * 1024
MAX_RECORD_BYTES = 64 * 1024


class RunningNodeError(ConfianceError):
    """Base of the errors about finding or reaching a data directory's running node."""

    status = 500
    slug = "running-node"
    title = "Running node"


class DataDirInUse(RunningNodeError):
    """Another ``serve`` holds this data directory."""

    slug = "data-dir-in-use"


class NotThisNode(RunningNodeError):
    """What answers is not this data directory's node: the admin token was not sent."""

    slug = "not-this-node"


class NodeUnreachable(RunningNodeError):
    """A node runs from this data directory (it holds the lock) but cannot be reached."""

    slug = "node-unreachable"


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    """Where a running node listens, written by ``serve`` to ``DATA_DIR/run.json``.

    ``url`` is where a client on this machine reaches it (a wildcard listen address is
    written as loopback), ``listen`` the address it bound, ``did`` its identity, ``started``
    an RFC 3339 time.
    """

    url: str
    listen: str
    pid: int
    did: str
    started: str
    data_dir: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: object) -> RunRecord:
        if not isinstance(obj, dict):
            raise ValueError("not an object")
        fields = {"url": str, "listen": str, "pid": int, "did": str, "started": str,
                  "data_dir": str}
        values: dict[str, Any] = {}
        for name, kind in fields.items():
            value = obj.get(name)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError(f"{name} is missing or not a {kind.__name__}")
            values[name] = value
        if urlsplit(values["url"]).scheme not in ("http", "https"):
            raise ValueError("url is not http(s)")
        return cls(**values)


@dataclass(frozen=True)
class RunningNode:
    """A node to talk to: its URL, and its run record when found through the data dir."""

    url: str
    record: RunRecord | None
    data_dir: Path

    @property
    def source(self) -> str:
        """How it was found, for messages: the run record, or ``--node``."""
        return f"{self.data_dir / RUN_RECORD}" if self.record is not None else "--node"


@dataclass(frozen=True)
class NodeAnswer:
    """An HTTP answer from a node: status, parsed JSON body (or text), content type."""

    status: int
    body: Any
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def local_url(host: str, port: int, scheme: str = "http") -> str:
    """The URL a client on this machine uses for a listen address (wildcards -> loopback)."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


# ----------------------------------------------------------------------------- the lock


class ServeLock:
    """The exclusive lock a ``serve`` process holds on its data directory for its lifetime.

    ``acquire`` retries for ``wait`` seconds (a CLI reading the record holds a shared lock
    for an instant); then :class:`DataDirInUse`, naming the holder from its run record.
    """

    def __init__(self, data_dir: Path, fd: int) -> None:
        self.data_dir = data_dir
        self._fd: int | None = fd
        self._published = False

    @classmethod
    def acquire(cls, data_dir: Path, *, wait: float = 2.0) -> ServeLock:
        path = data_dir / LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise DataDirInUse(_in_use_message(data_dir)) from None
                time.sleep(0.05)
        # a record left by a killed serve names a dead (or reused) pid: while we hold the
        # lock, the record is ours or absent (``confiance stop`` signals the pid it names)
        with contextlib.suppress(FileNotFoundError):
            (data_dir / RUN_RECORD).unlink()
        return cls(data_dir, fd)

    def publish(self, record: RunRecord) -> None:
        """Write the run record (mode 0600, atomically): the node is reachable from now."""
        path = self.data_dir / RUN_RECORD
        tmp = path.with_name(f".{RUN_RECORD}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record.to_json(), handle, indent=2)
            handle.write("\n")
        os.replace(tmp, path)
        self._published = True

    def release(self) -> None:
        """Remove the run record (if this process wrote it) and drop the lock."""
        if self._fd is None:
            return
        if self._published:
            with contextlib.suppress(FileNotFoundError):
                (self.data_dir / RUN_RECORD).unlink()
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> ServeLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _in_use_message(data_dir: Path) -> str:
    record = read_run_record(data_dir)
    where = f" (pid {record.pid}, listening on {record.url})" if record else ""
    return (f"{data_dir} is in use by another node{where}; stop it first, or give this one "
            "another --data-dir")


def read_run_record(data_dir: Path) -> RunRecord | None:
    """The run record as written, without checking that its node still runs."""
    try:
        with open(data_dir / RUN_RECORD, "rb") as handle:
            raw = handle.read(MAX_RECORD_BYTES + 1)
        if len(raw) > MAX_RECORD_BYTES:
            return None
        return RunRecord.from_json(json.loads(raw))
    except (OSError, ValueError):
        return None


def _lock_is_held(data_dir: Path) -> bool:
    """Does a serve process hold the data directory? (A shared lock for an instant.)

    While the probe holds the shared lock, it also removes a stale run record: no serve
    can take the lock meanwhile, so it cannot be a fresh record being removed.
    """
    try:
        fd = os.open(data_dir / LOCK_FILE, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        held = False
        fd = -1
    if fd >= 0:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return True
        held = False
    try:
        with contextlib.suppress(FileNotFoundError):
            (data_dir / RUN_RECORD).unlink()  # stale: its process is gone
    finally:
        if fd >= 0:
            os.close(fd)  # closing drops the shared lock
    return held


def is_served(data_dir: Path) -> bool:
    """Does a ``serve`` process hold ``data_dir`` (starting, serving or stopping)?"""
    return _lock_is_held(Path(data_dir))


def find_running_node(data_dir: Path, node_url: str | None = None, *,
                      wait_start: float = 15.0) -> RunningNode | None:
    """The node running from ``data_dir``, or ``None`` when none does.

    ``node_url`` (``--node``) overrides where to reach it; the record, when live, is still
    returned beside it (its DID is what :func:`check_identity` expects). A serve that holds
    the lock but has not yet published its record is starting: wait up to ``wait_start``
    seconds for it.
    """
    data_dir = Path(data_dir)
    deadline = time.monotonic() + wait_start
    while True:
        if not _lock_is_held(data_dir):
            if node_url is None:
                return None
            return RunningNode(url=_normalise(node_url), record=None, data_dir=data_dir)
        record = read_run_record(data_dir)
        if record is not None:
            url = _normalise(node_url) if node_url else record.url
            return RunningNode(url=url, record=record, data_dir=data_dir)
        if time.monotonic() >= deadline:
            raise NodeUnreachable(f"a node holds {data_dir} (see {LOCK_FILE}) but has not "
                                  f"published where it listens ({RUN_RECORD}) after "
                                  f"{wait_start:.0f} s")
        time.sleep(0.1)


def _normalise(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or parts.username or parts.password:
        raise NotThisNode(f"--node must be an http(s)://host[:port] URL, got {url!r:.80}")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


# ----------------------------------------------------------------------------- HTTP


def node_request(url: str, method: str, path: str, body: Any = None, *,
                 token: str | None = None, timeout: float = 10.0,
                 raw: bytes | None = None, headers: dict[str, str] | None = None,
                 ca_bundle: str | None = None) -> NodeAnswer:
    """One HTTP request to a node (no redirects followed); :class:`NodeUnreachable` if none.

    ``body`` is sent as JSON; ``raw`` as the exact bytes given (a signed subject request
    covers them by digest), with ``headers`` (``Content-Type``, ``Accept``, a subject's
    ``Authorization: Confiance-DI ...``) added to the defaults. Low level: no identity
    check. Send a ``token`` only through :func:`admin_call`. ``ca_bundle``: the CAs an
    https node's certificate must come from (default: the system's; a node's
    ``[tls] peer_ca_bundle``).
    """
    import http.client
    import ssl

    parts = urlsplit(url)
    sent = {"Accept": "application/json", "User-Agent": "confiance-cli"}
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    sent.update(headers or {})
    assert parts.hostname is not None
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout,
            context=ssl.create_default_context(cafile=ca_bundle))
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(method, parts.path.rstrip("/") + path, body=data, headers=sent)
        response = connection.getresponse()
        payload = response.read(MAX_ANSWER_BYTES)
        content_type = response.getheader("Content-Type", "") or ""
        status = response.status
        received = {k.lower(): v for k, v in response.getheaders()}
    except (OSError, http.client.HTTPException) as exc:
        raise NodeUnreachable(f"no answer from {url}: {exc.strerror or exc}"
                              if isinstance(exc, OSError) and exc.strerror
                              else f"no answer from {url}: {exc or type(exc).__name__}"
                              ) from None
    finally:
        connection.close()
    answer: Any = payload.decode("utf-8", "replace")
    if "json" in content_type and payload:
        with contextlib.suppress(ValueError):
            answer = json.loads(payload)
    return NodeAnswer(status=status, body=answer, content_type=content_type, headers=received)


def _data_dir_keys(config: NodeConfig) -> set[str]:
    """The public signing keys of the data directory (``keys/keyring.json``)."""
    path = config.keys_dir / "keyring.json"
    try:
        history = json.loads(path.read_text(encoding="utf-8"))
        return {str(k["publicKeyMultibase"]) for k in history["signing"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NotThisNode(f"cannot read this data directory's keys ({path}): {exc}") from None


def _expected_did(running: RunningNode, config: NodeConfig) -> str | None:
    if running.record is not None:
        return running.record.did
    if config.public_url is not None:
        from .identity import did_web_for

        return did_web_for(config.public_url)
    return None  # --node with no record and no public URL: the keys decide alone


def check_identity(running: RunningNode, config: NodeConfig, *,
                   timeout: float = 10.0) -> dict[str, Any]:
    """Is what answers at ``running.url`` this data directory's node? Its descriptor if so.

    It must name the expected DID (the run record's; else the did:web of the configured
    public URL) and present one of the data directory's signing keys. Raises
    :class:`NotThisNode` otherwise, :class:`NodeUnreachable` if nothing answers.
    """
    answer = node_request(running.url, "GET", "/.well-known/confiance", timeout=timeout,
                          ca_bundle=config.peer_ca_bundle)
    descriptor = answer.body
    if answer.status != 200 or not isinstance(descriptor, dict):
        raise NotThisNode(
            f"{running.url} (from {running.source}) is not a Confiance node (GET "
            f"/.well-known/confiance answered {answer.status}); the admin token was not sent")
    expected = _expected_did(running, config)
    if expected is not None and descriptor.get("did") != expected:
        raise NotThisNode(
            f"the node at {running.url} (from {running.source}) is {descriptor.get('did')!r:.120}"
            f", not this data directory's {expected}; the admin token was not sent")
    methods = descriptor.get("verificationMethods")
    presented = {m.get("publicKeyMultibase") for m in methods if isinstance(m, dict)} \
        if isinstance(methods, list) else set()
    if not presented & _data_dir_keys(config):
        raise NotThisNode(
            f"the node at {running.url} (from {running.source}) does not sign with the keys "
            f"of {config.data_dir}: it is another node; the admin token was not sent")
    return descriptor


class AdminClient:
    """The admin API of a node whose identity was checked (from :func:`connect_admin`)."""

    def __init__(self, running: RunningNode, descriptor: dict[str, Any], token: str,
                 timeout: float, ca_bundle: str | None = None) -> None:
        self.running = running
        self.ca_bundle = ca_bundle
        #: what ``/.well-known/confiance`` said (``url``: the node's own base URL, ``did``...)
        self.descriptor = descriptor
        self._token = token
        self.timeout = timeout

    @property
    def url(self) -> str:
        """Where it is reached from here."""
        return self.running.url

    def call(self, method: str, path: str, body: Any = None) -> NodeAnswer:
        """One admin request, bearing the token."""
        return node_request(self.url, method, path, body, token=self._token,
                            timeout=self.timeout, ca_bundle=self.ca_bundle)


def connect_admin(config: NodeConfig, node_url: str | None = None, *,
                  timeout: float = 10.0) -> AdminClient | None:
    """The admin API of the node running from ``config.data_dir``; ``None`` if none runs.

    Finds it (:func:`find_running_node`), checks that it is this data directory's node
    (:func:`check_identity`: :class:`NotThisNode` if not), and reads the token, which only
    the returned client sends.
    """
    running = find_running_node(config.data_dir, node_url)
    if running is None:
        return None
    descriptor = check_identity(running, config, timeout=timeout)
    from .datadir import read_admin_token

    return AdminClient(running, descriptor, read_admin_token(config), timeout,
                       config.peer_ca_bundle)


def admin_call(config: NodeConfig, method: str, path: str, body: Any = None, *,
               node_url: str | None = None, timeout: float = 10.0) -> NodeAnswer | None:
    """One admin request to the node running from ``config.data_dir``; ``None`` if none runs.

    :func:`connect_admin` then :meth:`AdminClient.call`: the token is sent only to this
    data directory's node.
    """
    client = connect_admin(config, node_url, timeout=timeout)
    return None if client is None else client.call(method, path, body)


def new_record(*, url: str, listen: str, did: str, data_dir: Path) -> RunRecord:
    """The record of this process, started now."""
    started = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return RunRecord(url=url, listen=listen, pid=os.getpid(), did=did, started=started,
                     data_dir=str(data_dir.resolve()))
