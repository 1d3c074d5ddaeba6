"""Fixtures for the node tests: an initialised data directory, a running app, parties."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from nodehelpers import GENEROUS, PUBLIC_URL, Factory, Party, now

from confiance.node.app import create_app
from confiance.node.config import NodeConfig
from confiance.node.datadir import initialise_data_dir


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for talking to real loopback nodes."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def alice() -> Party:
    return Party(1)


@pytest.fixture
def bob() -> Party:
    return Party(2)


@pytest.fixture
def carol() -> Party:
    return Party(3)


@pytest.fixture
def config(tmp_path: Path) -> NodeConfig:
    return NodeConfig(data_dir=tmp_path / "node", name="test node", public_url=PUBLIC_URL,
                      write_rate=GENEROUS, read_rate=GENEROUS)


@pytest.fixture
async def make_client() -> AsyncIterator[Factory]:
    """Start a node for a config (initialising its data dir); all are closed at the end."""
    clients: list[TestClient[Any, Any]] = []

    async def start(config: NodeConfig, **kwargs: Any) -> TestClient[Any, Any]:
        initialise_data_dir(config, now=kwargs.pop("init_time", None) or now())
        client: TestClient[Any, Any] = TestClient(TestServer(create_app(config, **kwargs)))
        await client.start_server()
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.close()


@pytest.fixture
async def client(make_client: Factory, config: NodeConfig) -> TestClient[Any, Any]:
    return await make_client(config)  # type: ignore[no-any-return]


