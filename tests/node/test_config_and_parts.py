"""Configuration precedence, identity, rate limiter, keyring and logs, each on its own."""

from __future__ import annotations

import io
import json
import logging
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from confiance.node.config import NodeConfig, RateLimit, default_data_dir, load_config
from confiance.node.datadir import initialise_data_dir, is_initialised
from confiance.node.identity import did_web_for
from confiance.node.keyring import Keyring
from confiance.node.logs import StructuredFormatter, resolve_log_format
from confiance.node.problems import UnknownDidWebIssuer
from confiance.node.ratelimit import RateLimiter, client_key
from confiance.protocol.errors import KeyResolutionError, MalformedDocument

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_precedence_defaults_toml_env_overrides(tmp_path: Path) -> None:
    (tmp_path / "confiance.toml").write_text(
        '[node]\nname = "from toml"\nport = 9000\n[rate_limit]\nwrite_per_second = 2\n'
        '[limits]\nmax_body_bytes = 1000\n')
    config = load_config(tmp_path, env={"CONFIANCE_PORT": "9100"}, host=None)
    assert (config.name, config.port, config.host) == ("from toml", 9100, "127.0.0.1")
    assert config.write_rate == RateLimit(per_second=2, burst=60)
    assert config.max_body_bytes == 1000
    assert load_config(tmp_path, env={}, port=9200).port == 9200


def test_bad_configuration_is_refused(tmp_path: Path) -> None:
    (tmp_path / "confiance.toml").write_text("[node]\nport = 'many'\n")
    with pytest.raises(MalformedDocument):
        load_config(tmp_path, env={})
    with pytest.raises(MalformedDocument):
        NodeConfig(data_dir=tmp_path, public_url="ftp://x")
    with pytest.raises(MalformedDocument):
        NodeConfig(data_dir=tmp_path, page_size=1000, max_page_size=10)
    with pytest.raises(MalformedDocument):
        load_config(tmp_path / "none", env={}, colour="red")


@pytest.mark.parametrize("value", ["--5", "\u00b3", "\u0663", "9" * 19, "", "5x", "0x10"])
def test_an_integer_setting_takes_ascii_digits_only(tmp_path: Path, value: str) -> None:
    """A superscript or another script's digit in a port (``str.isdigit`` is true for both)
    is refused with the configuration's own error, naming the setting, not a ValueError."""
    with pytest.raises(MalformedDocument, match="port has an invalid value"):
        load_config(tmp_path, env={"CONFIANCE_PORT": value})
    assert load_config(tmp_path, env={"CONFIANCE_PORT": " 9100 "}).port == 9100


def test_default_data_dir() -> None:
    assert default_data_dir({}) == Path("confiance-data")
    assert default_data_dir({"CONFIANCE_DATA_DIR": "/srv/c"}) == Path("/srv/c")


@pytest.mark.parametrize(("url", "did"), [
    ("https://example.org", "did:web:example.org"),
    ("https://Example.org:8443/", "did:web:example.org%3A8443"),
    ("https://example.org/trust/node", "did:web:example.org:trust:node"),
    ("http://127.0.0.1:8080", "did:web:127.0.0.1%3A8080"),
])
def test_did_web(url: str, did: str) -> None:
    assert did_web_for(url) == did


def test_init_creates_private_files(tmp_path: Path) -> None:
    config = NodeConfig(data_dir=tmp_path / "n")
    result = initialise_data_dir(config, now=T0)
    assert is_initialised(config.data_dir)
    for name in ("admin.token", "keys/key-1.secret.json", "keys/rotation-1.secret.json"):
        assert stat.S_IMODE(os.stat(config.data_dir / name).st_mode) == 0o600, name
    assert stat.S_IMODE(os.stat(config.keys_dir).st_mode) == 0o700
    assert "confiance.sqlite3" in result.created
    again = initialise_data_dir(config, now=T0)
    assert again.created == ()  # nothing overwritten


def test_rate_limiter_token_bucket() -> None:
    clock = [0.0]
    limiter = RateLimiter(RateLimit(per_second=2, burst=3), max_clients=2,
                          clock=lambda: clock[0])
    assert [limiter.acquire("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.acquire("a") == pytest.approx(0.5)
    clock[0] += 0.5
    assert limiter.acquire("a") == 0
    assert limiter.acquire("b") == 0 and limiter.acquire("c") == 0
    assert len(limiter) == 2  # bounded memory: "a" was evicted
    assert RateLimiter(RateLimit(per_second=0, burst=0)).acquire("x") == 0


def test_client_keys_group_ipv6_by_64() -> None:
    assert client_key("2001:db8::1") == client_key("2001:db8::ffff") == "2001:db8::/64"
    assert client_key("::ffff:10.0.0.1") == "10.0.0.1"
    assert client_key(None) == "unknown"


def test_keyring_validity_periods(tmp_path: Path) -> None:
    Keyring.create(tmp_path, now=T0)
    ring = Keyring.load(tmp_path, did="did:web:n.test")
    later = T0 + timedelta(days=1)
    ring.rotate(now=later, sign_statement=lambda doc: doc)
    old = ring.resolve("did:web:n.test#key-1")
    assert old.valid_from == T0 and old.valid_until == later
    assert ring.resolve("did:web:n.test#key-2").valid_until is None
    with pytest.raises(KeyResolutionError):
        ring.resolve("did:web:n.test#rotation-1")  # never an assertion key
    assert ring.resolve("did:web:n.test#rotation-1", rotation=True).controller == \
        "did:web:n.test"
    with pytest.raises(UnknownDidWebIssuer):
        ring.resolve("did:web:other.test#key-1")
    with pytest.raises(KeyResolutionError):
        ring.resolve("did:example:123#k")
    reloaded = Keyring.load(tmp_path, did="did:web:n.test")
    assert [r.id for r in reloaded.signing_records] == ["key-1", "key-2"]
    assert sorted(p.name for p in tmp_path.glob("*.secret.json")) == [
        "key-2.secret.json", "rotation-1.secret.json"]


def test_structured_logs() -> None:
    record = logging.LogRecord("confiance.node", logging.INFO, __file__, 1, "hello %s",
                               ("world",), None)
    record.did = "did:web:x"
    line = json.loads(StructuredFormatter("json").format(record))
    assert line["msg"] == "hello world" and line["did"] == "did:web:x"
    assert line["level"] == "info" and line["ts"].endswith("Z")
    text = StructuredFormatter("text").format(record)
    assert text.split(" ", 1)[1] == "info    hello world  did=did:web:x"
    record.did = "world"  # a field the message already shows is not repeated
    assert StructuredFormatter("text").format(record).endswith("info    hello world")


def test_log_format_auto_is_text_on_a_terminal_only() -> None:
    class Stream(io.StringIO):
        def __init__(self, tty: bool) -> None:
            super().__init__()
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    assert resolve_log_format("auto", Stream(True)) == "text"
    assert resolve_log_format("auto", Stream(False)) == "json"
    assert resolve_log_format("json", Stream(True)) == "json"


def test_rate_limits_from_toml_and_env_keep_the_missing_half(tmp_path: Path) -> None:
    (tmp_path / "confiance.toml").write_text("[rate_limit]\nread_burst = 7\n")
    config = load_config(tmp_path, env={"CONFIANCE_WRITE_BURST": "3"})
    default = NodeConfig(data_dir=tmp_path)
    assert config.read_rate == RateLimit(per_second=default.read_rate.per_second, burst=7)
    assert config.write_rate == RateLimit(per_second=default.write_rate.per_second, burst=3)
    with pytest.raises(MalformedDocument, match="CONFIANCE_WRITE"):
        load_config(tmp_path, env={"CONFIANCE_WRITE_PER_SECOND": "fast"})
    (tmp_path / "confiance.toml").write_text("[rate_limit]\nread_burst = [1]\n")
    with pytest.raises(MalformedDocument, match="read rate limit"):
        load_config(tmp_path, env={})
