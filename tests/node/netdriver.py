"""The test's hand inside one network namespace: talks https to the node of that namespace.

Run by :mod:`netlab` as ``ip netns exec NS python netdriver.py BASE_URL TOKEN CA_BUNDLE``;
reads one JSON command per line on stdin and answers one JSON line on stdout:

- ``{"op": "post", "docs": [...]}``: POST each document to ``/assertions`` (16 at a time);
  answers ``{"created": n, "errors": [..]}``;
- ``{"op": "peer", "url": U}``: recognise a peer (``POST /admin/peers``);
- ``{"op": "state", "list": bool}``: ``{"ids": .., "stats": {..}, "tx": bytes, "stored": n,
  "unique": n}`` (the gossip figures, the bytes this namespace sent on eth0, and with
  ``list`` the assertions the store lists and how many distinct ids among them);
- ``{"op": "ready"}``: waits until ``/health`` answers.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
from pathlib import Path
from typing import Any

import aiohttp


async def main(base: str, token: str, bundle: str) -> None:
    context = ssl.create_default_context(cafile=bundle)
    admin = {"Authorization": f"Bearer {token}"}
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 26)  # a post carries many documents
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context, limit=16),
                                     timeout=timeout) as http:
        while line := await reader.readline():
            command = json.loads(line)
            try:
                answer = await run(http, base, admin, command)
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()


async def run(http: aiohttp.ClientSession, base: str, admin: dict[str, str],
              command: dict[str, Any]) -> dict[str, Any]:
    op = command["op"]
    if op == "ready":
        for _ in range(600):
            try:
                async with http.get(base + "/health") as resp:
                    if resp.status == 200:
                        return {"ok": True}
            except (aiohttp.ClientError, OSError):
                pass
            await asyncio.sleep(0.05)
        return {"error": "the node did not come up"}
    if op == "post":
        docs = list(command["docs"])
        created, errors = 0, []

        async def one(doc: dict[str, Any]) -> None:
            nonlocal created
            async with http.post(base + "/assertions", json=doc) as resp:
                if resp.status == 201:
                    created += 1
                elif resp.status != 200:
                    errors.append(f"{resp.status} {(await resp.text())[:200]}")

        queue = iter(docs)

        async def worker() -> None:
            for doc in queue:
                await one(doc)

        await asyncio.gather(*(worker() for _ in range(16)))
        return {"created": created, "errors": errors[:5]}
    if op == "peer":
        async with http.post(base + "/admin/peers", json={"url": command["url"]},
                             headers=admin) as resp:
            return {"status": resp.status}
    if op == "state":
        async with http.get(base + "/admin/peers", headers=admin) as resp:
            peers = await resp.json()
        stored, ids, cursor = 0, set(), None
        while command.get("list"):
            url = base + "/assertions?limit=500" + (f"&cursor={cursor}" if cursor else "")
            async with http.get(url) as resp:
                page = await resp.json()
            stored += len(page["items"])
            ids.update(item["id"] for item in page["items"])
            cursor = page.get("next")
            if not cursor:
                break
        tx = int(Path("/sys/class/net/eth0/statistics/tx_bytes").read_text())
        return {"ids": peers["ids"], "stats": peers["stats"], "stored": stored,
                "unique": len(ids), "tx": tx,
                "dropped": [p["droppedReason"] for p in peers["peers"] if p["droppedReason"]]}
    return {"error": f"unknown op {op}"}


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
