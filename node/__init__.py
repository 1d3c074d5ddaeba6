"""confiance.node: the aiohttp shell around confiance.protocol (HTTP API, storage, gossip I/O)."""
