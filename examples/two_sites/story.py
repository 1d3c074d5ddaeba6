"""The seed story, end to end: two sites, Alice and Bob, on two real nodes on this machine.

Run: python examples/two_sites/story.py [--workdir DIR] [--ports 8081 8082]

It starts two nodes, E1 (a marketplace) and E2 (another site), as separate processes
(``confiance init`` then ``confiance serve --background``), and plays the story with the
``confiance`` command, as one would from another shell, printing each step in a sentence with
the command it runs and the URLs to open:

1. E1's rating system gives Alice a trust mark under its published mark definition
   ("97% positive as a seller"); Alice accepts it with a signed request.
2. Alice exports her badge page (``confiance badges export``) and gives E2 its address.
3. E2 recognises E1's mark with a conversion rule of its own ("95% positive there is 4 stars
   here") and publishes it on its page; E1 publishes nothing about E2. (The two nodes
   recognise each other as peers from the start, each adding the other, and gossip.)
4. E2 scores Alice on its own scale and says why (path, rule, assertion ids); E1's view of
   E2 is unchanged.
5. Alice refers her friend Bob to E1: Bob starts with a better standing there than a
   stranger; E1 awards him its mark after his first sales, and he exports his page.
6. Bob betrays that trust: buyers E1 trusts rate him negatively; E1 revokes his mark, and
   Alice, who vouched for him, loses a little standing at E1 (the accountability rule).
   Everywhere (E1's API, badge and verify page, E2's copy, Bob's own exported page once
   checked) his mark now reads "revoked".
7. Alice asks E2 for everything it holds about her, then erases what she issued: both nodes
   forget it. E1 keeps only its own judgement of her erased referral, so she still stands
   at 0.9 there, and her export at E1 shows that judgement.

Only the command line and the nodes' public HTTP API are used (``urllib`` to read pages).
The same story is a test, ``tests/test_two_sites.py``, which checks every claim with
numbers; the README's tour gives the same commands to type by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
MARK_FILE = HERE / "positive-feedback.toml"
RULE_FILE = HERE / "e2-reads-e1.json"
#: For a quick demonstration both nodes reconcile every 2 s and retry a peer within 2 s
#: (a node's defaults are 60 s and 300 s); new assertions are pushed at once anyway.
QUICK_GOSSIP = "\n[gossip]\nanti_entropy_interval = 2.0\nbackoff_cap = 2.0\n"
WAIT = 30.0  # seconds, at most, for gossip to bring something


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def confiance_command() -> list[str]:
    """The ``confiance`` installed beside this Python, else this Python running the CLI."""
    script = Path(sys.executable).parent / "confiance"
    return [str(script)] if script.exists() else [sys.executable, "-m", "confiance.node.cli"]


class StoryError(RuntimeError):
    """A step did not go as the story says."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class Site:
    """One node: its data directory, name, URL and DID."""

    name: str
    data_dir: Path
    url: str
    did: str = ""


@dataclass
class Story:
    """The two sites and the people, and what each step observed (:attr:`seen`)."""

    workdir: Path
    ports: tuple[int, int]
    say: Callable[[str], None] = print
    cli: list[str] = field(default_factory=confiance_command)
    quick_gossip: bool = True
    e1: Site = field(init=False)
    e2: Site = field(init=False)
    people: dict[str, str] = field(default_factory=dict)  # name -> did:key
    seen: dict[str, Any] = field(default_factory=dict)
    transcript: list[list[str]] = field(default_factory=list)  # every command run

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.e1 = Site("E1", self.workdir / "e1", f"http://127.0.0.1:{self.ports[0]}")
        self.e2 = Site("E2", self.workdir / "e2", f"http://127.0.0.1:{self.ports[1]}")

    # ------------------------------------------------------------------ tools
    def _shown(self, argv: list[str]) -> str:
        """The command as a person types it: ``confiance``, $NAME for the DIDs."""
        names = {self.e1.did: "$E1", self.e2.did: "$E2"} | \
            {did: f"${name.upper()}" for name, did in self.people.items()}
        words = ["confiance"]
        for arg in argv:
            shown = names.get(arg)
            if shown is None:
                text = arg.replace(str(self.workdir) + os.sep, "").replace(
                    str(HERE.parent.parent) + os.sep, "")
                for did, var in names.items():
                    if did and did in text and did != text:
                        text = text.replace(did, var)
                shown = shlex.quote(text) if "$" not in text else f'"{text}"'
            words.append(shown)
        return " ".join(words)

    def run(self, *argv: str, stdin: str | None = None, quiet: bool = False) -> str:
        """Run ``confiance ARGV`` in the working directory; its stdout, stripped."""
        args = list(argv)
        self.transcript.append(args)
        if not quiet:
            self.say(f"  $ {self._shown(args)}")
        done = subprocess.run([*self.cli, *args], cwd=self.workdir, input=stdin,
                              capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise StoryError(f"confiance {' '.join(args)} failed ({done.returncode}):\n"
                             f"{done.stderr.strip()[-2000:]}")
        return done.stdout.strip()

    def pipe(self, first: list[str], second: list[str]) -> str:
        """``confiance FIRST | confiance SECOND``; the second's stdout."""
        self.say(f"  $ {self._shown(first)} \\\n      | {self._shown(second)}")
        return self.run(*second, stdin=self.run(*first, quiet=True) + "\n", quiet=True)

    def http(self, url: str, *, accept: str = "application/json") -> Answer:
        request = urllib.request.Request(url, headers={"Accept": accept})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Answer(response.status, {k.lower(): v for k, v in response.headers.items()},
                              response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            return Answer(error.code, {k.lower(): v for k, v in error.headers.items()},
                          error.read().decode("utf-8"))

    def status_of(self, site: Site, content_id: str) -> str:
        """What ``site`` says of an assertion: its ``Confiance-Status`` (or the HTTP status)."""
        answer = self.http(f"{site.url}/assertions/{short(content_id)}")
        return answer.headers.get("confiance-status") or f"HTTP {answer.status}"

    def wait_for(self, what: str, check: Callable[[], Any]) -> Any:
        """Poll ``check`` until it returns a true value (gossip takes a moment)."""
        deadline = time.monotonic() + WAIT
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise StoryError(f"{what}: not within {WAIT:.0f} s")
            time.sleep(0.1)

    def trust(self, site: Site, source: str, target: str) -> dict[str, Any]:
        """``GET /trust`` on ``site`` (what ``confiance trust score --node --json`` prints)."""
        query = f"from={quote(source, safe='')}&to={quote(target, safe='')}&context=seller"
        answer = self.http(f"{site.url}/trust?{query}")
        if answer.status != 200:
            raise StoryError(f"GET /trust at {site.name}: {answer.status} {answer.text[:300]}")
        result: dict[str, Any] = answer.json()
        return result

    def key(self, name: str) -> str:
        did = self.run("keygen", "-o", f"{name.lower()}.json")
        self.people[name] = did
        self.say(f"  {name.upper()}={did}   ({name}'s key is in {name.lower()}.json)")
        return did

    # ------------------------------------------------------------------ steps
    def start(self) -> None:
        self.say("Two sites on this machine: E1, a marketplace, and E2, another site. Each is "
                 "a node of its own, in its own process.")
        for site in (self.e1, self.e2):
            site.did = self.run("init", "--data-dir", site.data_dir.name, "--name", site.name,
                                "--public-url", site.url)
            if self.quick_gossip:
                with open(site.data_dir / "confiance.toml", "a", encoding="utf-8") as config:
                    config.write(QUICK_GOSSIP)
        started = time.monotonic()
        for site in (self.e1, self.e2):
            self.run("serve", "--data-dir", site.data_dir.name, "--background")
        self.seen["start_seconds"] = time.monotonic() - started
        self.say(f"  E1={self.e1.did}  serves {self.e1.url}/")
        self.say(f"  E2={self.e2.did}  serves {self.e2.url}/")
        self.say("  They recognise each other as peers (each side adds the other: recognition "
                 "is one-way), so what one publishes reaches the other at once.")
        self.run("peers", "add", self.e1.url, "--name", "E1", "--data-dir", "e2")
        self.run("peers", "add", self.e2.url, "--name", "E2", "--data-dir", "e1")

    def step1_mark(self) -> None:
        self.say("\n1. E1's rating system gives Alice a trust mark, under a mark definition it "
                 "publishes; Alice accepts it with a request signed by her key.")
        self.run("marks", "create", str(MARK_FILE), "--data-dir", "e1")
        terms = f"{self.e1.url}/marks/positive-feedback/1"
        self.say(f"  The terms and plain-language deed: {terms}")
        alice = self.key("Alice")
        mark = self.run("marks", "award", "positive-feedback", "--subject", alice, "--status",
                        "97% positive over 1,204 sales", "--value", "97", "--data-dir", "e1")
        acceptance = self.run("subject", "accept", mark, "--key", "alice.json", "--node",
                              self.e1.url)
        self.say(f"  Alice's badge: {self.e1.url}/badges/{short(mark)}.svg, its verify page: "
                 f"{self.e1.url}/badges/{short(mark)}, her page: {self.e1.url}/subjects/"
                 f"{quote(alice, safe=':')}")
        self.say("  E1 trusts two more sellers, Carol and Dave, who hold the same mark.")
        others = {}
        for name, status, value in (("Carol", "99% positive over 310 sales", "99"),
                                    ("Dave", "98% positive over 95 sales", "98")):
            did = self.key(name)
            others[name] = self.run("marks", "award", "positive-feedback", "--subject", did,
                                    "--status", status, "--value", value, "--data-dir", "e1")
        page = self.http(f"{self.e1.url}/subjects/{quote(alice, safe=':')}").json()
        self.seen["step1"] = {"terms": terms, "mark": mark, "acceptance": acceptance,
                              "others": others, "status": self.status_of(self.e1, mark),
                              "on_her_page": [item["id"] for item in page["accepted"]]}

    def step2_export(self) -> None:
        self.say("\n2. Alice exports her badge page, a static site she can host anywhere, and "
                 "gives E2 its address.")
        alice = self.people["Alice"]
        self.run("badges", "export", "--subject", alice, "--node", self.e1.url, "--out",
                 "alice-badges", "--name", "Alice")
        page = self.workdir / "alice-badges" / "index.html"
        self.say(f"  Her page: {page.as_uri()} (open it in a browser; it verifies offline). "
                 "From it, E2 follows her badge to E1's verify page and E1's terms.")
        mark = self.seen["step1"]["mark"]
        verify_page = self.workdir / "alice-badges" / "badges" / short(mark) / "index.html"
        self.seen["step2"] = {"page": page, "verify_page": verify_page}

    def step3_recognise(self) -> None:
        self.say("\n3. E2 decides, on its own, how it reads E1's mark: 98% or more is 5 stars "
                 "here, 95% or more is 4, anything else 1. It publishes that rule on its own "
                 "page; E1 is not asked, and publishes nothing about E2.")
        before = {"e1_e2": self.trust(self.e1, self.e1.did, self.e2.did),
                  "e1_alice": self.trust(self.e1, self.e1.did, self.people["Alice"]),
                  "e1_rules": self.http(f"{self.e1.url}/").json()["rules"]}
        rule = self.run("rules", "add", f"{self.e1.url}/marks/positive-feedback/1", "--rule",
                        str(RULE_FILE), "--scale", "1:5", "--data-dir", "e2")
        sentences = [r["sentence"] for r in self.http(f"{self.e2.url}/").json()["rules"]
                     if r["id"] == rule]
        self.say(f"  On {self.e2.url}/ : “{sentences[0] if sentences else '?'}”")
        self.seen["step3"] = {"rule": rule, "sentence": sentences[0] if sentences else None,
                              "before": before}

    def step4_score(self) -> None:
        self.say("\n4. E2 scores Alice on its own scale, and says why.")
        mark = self.seen["step1"]["mark"]
        self.wait_for("E2 holds Alice's mark", lambda: self.status_of(self.e2, mark) == "valid")
        result = self.trust(self.e2, self.e2.did, self.people["Alice"])
        self.run("trust", "score", "--from", self.e2.did, "--to", self.people["Alice"],
                 "--context", "seller", "--node", self.e2.url, quiet=True)
        self.say(f"  $ {self._shown(self.transcript[-1])}")
        hops = result["paths"][0]["hops"] if result["paths"] else []
        self.say(f"  Alice at E2: {result['score']:g} on E2's "
                 f"{result['scale']['minimum']:g}..{result['scale']['maximum']:g} scale "
                 f"(confidence {result['confidence']:g}), by the path "
                 + " -> ".join(["E2"] + [f"{h['kind']} {short(h['assertion'])[:10]}… -> "
                                         f"{self._who(h['to'])}" for h in hops]))
        rules = [h["rule"] for h in hops if h.get("rule")]
        if rules:
            self.say(f"  The rule applied: “{rules[0]}”")
        after = {"e1_e2": self.trust(self.e1, self.e1.did, self.e2.did),
                 "e1_alice": self.trust(self.e1, self.e1.did, self.people["Alice"]),
                 "e1_rules": self.http(f"{self.e1.url}/").json()["rules"],
                 "e1_holds_rule": self.status_of(self.e1, self.seen["step3"]["rule"])}
        self.say("  E1's view is unchanged: it has no opinion of E2 (before and after), reads "
                 f"Alice at {after['e1_alice']['score']:g} as it did, and publishes no rule "
                 "(it holds E2's rule, brought by gossip, but that is E2's reading, not E1's).")
        self.seen["step4"] = {"alice_at_e2": result, "after": after}

    def step5_referral(self) -> None:
        self.say("\n5. Alice refers her friend Bob to E1 (a Referral signed by her key, sent "
                 "to E1).")
        bob = self.key("Bob")
        referral = self.pipe(["assert", "referral", "--key", "alice.json", "--subject", bob,
                              "--audience", self.e1.did, "--context", "seller", "--text",
                              "my friend Bob, a careful seller"],
                             ["submit", "--node", self.e1.url, "-"])
        stranger = self.key("Stranger")
        bob_at_e1 = self.trust(self.e1, self.e1.did, bob)
        stranger_at_e1 = self.trust(self.e1, self.e1.did, stranger)
        self.say(f"  Bob's standing at E1: {fmt(bob_at_e1['value'])} (through Alice, "
                 f"confidence {bob_at_e1['confidence']:g}); a stranger's: "
                 f"{fmt(stranger_at_e1['value'])} (confidence "
                 f"{stranger_at_e1['confidence']:g}).")
        self.say("  Bob sells well at first: E1 awards him its mark, he accepts it and exports "
                 "his page.")
        mark = self.run("marks", "award", "positive-feedback", "--subject", bob, "--status",
                        "100% positive over 3 sales", "--value", "100", "--data-dir", "e1")
        self.run("subject", "accept", mark, "--key", "bob.json", "--node", self.e1.url)
        self.run("badges", "export", "--subject", bob, "--node", self.e1.url, "--out",
                 "bob-badges", "--name", "Bob")
        self.wait_for("E2 holds Bob's mark", lambda: self.status_of(self.e2, mark) == "valid")
        bob_at_e2 = self.trust(self.e2, self.e2.did, bob)
        self.say(f"  Bob's badge: {self.e1.url}/badges/{short(mark)}; E2 reads it as "
                 f"{fmt(bob_at_e2['score'])} stars.")
        self.seen["step5"] = {"referral": referral, "bob_at_e1": bob_at_e1,
                              "stranger_at_e1": stranger_at_e1, "mark": mark,
                              "bob_at_e2": bob_at_e2}

    def step6_betrayal(self) -> None:
        self.say("\n6. Bob betrays that trust: Carol and Dave, whom E1 trusts, pay and never "
                 "receive their goods, and rate him negatively at E1.")
        bob, mark = self.people["Bob"], self.seen["step5"]["mark"]
        ratings = []
        for name in ("Carol", "Dave"):
            ratings.append(self.pipe(
                ["assert", "rating", "--key", f"{name.lower()}.json", "--subject", bob,
                 "--context", "seller", "--score", "-1", "--scale", "-1:1", "--text",
                 "paid, never shipped"],
                ["submit", "--node", self.e1.url, "-"]))
        alice = self.people["Alice"]
        alice_vouched = self.trust(self.e1, self.e1.did, alice)
        self.say(f"  While E1's own mark vouches for Bob, E1's word about him decides: Alice "
                 f"still stands at {fmt(alice_vouched['value'])}.")
        bob_page = self.workdir / "bob-badges" / "badges" / short(mark) / "index.html"
        before_check = status_word(bob_page.read_text(encoding="utf-8"))
        self.say("  E1 revokes Bob's mark.")
        self.run("revoke", mark, "--reason", "negative ratings from trusted buyers",
                 "--data-dir", "e1")
        alice_after = self.trust(self.e1, self.e1.did, alice)
        bob_after = self.trust(self.e1, self.e1.did, bob)
        penalty = alice_after["penalty"]
        bad = penalty["referrals"][0]["bad"] if penalty["referrals"] else None
        self.say(f"  Alice vouched for Bob: judged by the buyers E1 trusts (her own word for "
                 f"him is no evidence that her referral was good), her referral is judged bad "
                 f"at {fmt(bad)} (1: fully), so Alice loses 0.1 x that = "
                 f"{fmt(penalty['value'])} of her standing: "
                 f"{fmt(alice_vouched['value'])} -> {fmt(alice_after['value'])}. Bob's own "
                 f"standing: {fmt(bob_after['value'])} (E1 weighs Alice's word for him beside "
                 f"Carol's and Dave's: distrusted at {fmt(bob_after['distrust']['value'])}).")
        self.wait_for("E2 holds the revocation",
                      lambda: self.status_of(self.e2, mark) == "revoked")
        svg = self.http(f"{self.e1.url}/badges/{short(mark)}.svg", accept="image/svg+xml").text
        page = self.http(f"{self.e1.url}/badges/{short(mark)}", accept="text/html").text
        e2_svg = self.http(f"{self.e2.url}/badges/{short(mark)}.svg",
                           accept="image/svg+xml").text
        bob_at_e2 = self.trust(self.e2, self.e2.did, bob)
        self.say(f"  E2 no longer reads Bob's mark: it sees him only through Alice's word, at "
                 f"{fmt(bob_at_e2['score'])} on its 1..5 scale.")
        checked = self.run("badges", "check", "bob-badges")
        self.say("  Everywhere it now reads revoked: E1's API and badge "
                 f"{self.e1.url}/badges/{short(mark)}.svg, its verify page "
                 f"{self.e1.url}/badges/{short(mark)}, E2's copy "
                 f"{self.e2.url}/badges/{short(mark)}, and Bob's own exported page once "
                 f"checked again ({(self.workdir / 'bob-badges' / 'index.html').as_uri()}).")
        self.seen["step6"] = {
            "ratings": ratings, "alice_vouched": alice_vouched, "alice_after": alice_after,
            "bob_after": bob_after, "e1_status": self.status_of(self.e1, mark),
            "e1_svg_title": svg_title(svg), "e1_page_word": status_word(page),
            "e2_status": self.status_of(self.e2, mark), "e2_svg_title": svg_title(e2_svg),
            "bob_at_e2": bob_at_e2,
            "export_before_check": before_check,
            "export_after_check": status_word(bob_page.read_text(encoding="utf-8")),
            "export_svg_title": svg_title((bob_page.parent / "badge.svg").read_text("utf-8")),
            "check_output": json.loads(checked)}

    def step7_erasure(self) -> None:
        self.say("\n7. Alice asks E2 for everything it holds about her, then erases what she "
                 "issued.")
        alice = self.people["Alice"]
        referral = self.seen["step5"]["referral"]
        self.wait_for("E2 holds Alice's referral",
                      lambda: self.status_of(self.e2, referral) == "valid")
        self.run("subject", "export", "--key", "alice.json", "--node", self.e2.url, "--out",
                 "alice-at-e2.json")
        export = json.loads((self.workdir / "alice-at-e2.json").read_text(encoding="utf-8"))
        held = {site.name: sorted(self._held(site, alice)) for site in (self.e1, self.e2)}
        self.say(f"  E2 holds {len(export['about'])} assertion(s) about her and "
                 f"{len(export['issued'])} she issued: alice-at-e2.json")
        # --wait-for: the command watches E1 until the request, carried by gossip, is applied
        erased = self.run("subject", "erase", "--all", "--key", "alice.json", "--node",
                          self.e2.url, "--wait-for", self.e1.url).split()
        issued = [item["id"] for item in export["issued"]]
        after = {site.name: {i: self.http(f"{site.url}/assertions/{short(i)}").status
                             for i in issued} for site in (self.e1, self.e2)}
        self.say(f"  Both nodes forgot the {len(issued)} assertion(s) she issued (410 Gone on "
                 "each; tombstones keep gossip from bringing them back). What others said "
                 "about her stays: E1's mark is E1's.")
        alice_at_e1 = self.trust(self.e1, self.e1.did, alice)
        self.run("trust", "score", "--from", self.e1.did, "--to", alice, "--node",
                 self.e1.url)
        self.run("subject", "export", "--key", "alice.json", "--node", self.e1.url, "--out",
                 "alice-at-e1.json")
        export_e1 = json.loads((self.workdir / "alice-at-e1.json").read_text(encoding="utf-8"))
        kept = export_e1["referralJudgements"]
        self.say(f"  Erasing her referral does not buy back what it cost: E1 keeps only its own "
                 f"judgement of it ({len(kept)} kept: bad "
                 f"{', '.join(fmt(j['bad']) for j in kept)}, costing "
                 f"{', '.join(fmt(j['share']) for j in kept)} of her standing until "
                 f"{', '.join(j['expires'] for j in kept)}; not the referral, not whom it "
                 f"named), so Alice still stands at {fmt(alice_at_e1['value'])} there. Her "
                 f"export at E1 shows it: alice-at-e1.json")
        self.seen["step7"] = {"export": export, "held": held, "erased": erased,
                              "after": after, "alice_at_e1": alice_at_e1,
                              "export_e1": export_e1,
                              "mark_status": self.status_of(self.e2,
                                                            self.seen["step1"]["mark"])}

    def stop(self) -> None:
        for site in (self.e1, self.e2):
            if (site.data_dir / "run.json").exists():
                subprocess.run([*self.cli, "stop", "--data-dir", site.data_dir.name],
                               cwd=self.workdir, capture_output=True, timeout=60, check=False)

    def play(self) -> dict[str, Any]:
        started = time.monotonic()
        self.start()
        for step in (self.step1_mark, self.step2_export, self.step3_recognise,
                     self.step4_score, self.step5_referral, self.step6_betrayal,
                     self.step7_erasure):
            began = time.monotonic()
            step()
            self.seen.setdefault("seconds", {})[step.__name__] = time.monotonic() - began
        self.seen["total_seconds"] = time.monotonic() - started
        return self.seen

    def figures(self) -> dict[str, Any]:
        """What was seen, with who is who (for ``--figures``)."""
        sites = {site.name: {"url": site.url, "did": site.did,
                             "data_dir": str(site.data_dir)} for site in (self.e1, self.e2)}
        return {"sites": sites, "people": self.people, "workdir": str(self.workdir),
                "transcript": self.transcript, **self.seen}

    # ------------------------------------------------------------------ helpers
    def _who(self, did: str) -> str:
        for site in (self.e1, self.e2):
            if site.did == did:
                return site.name
        return next((name for name, d in self.people.items() if d == did), did)

    def _held(self, site: Site, did: str) -> set[str]:
        ids: set[str] = set()
        for role in ("subject", "issuer"):
            page = self.http(f"{site.url}/assertions?{role}={quote(did, safe='')}&limit=500")
            ids |= {item["id"] for item in page.json()["items"]}
        return ids


def short(content_id: str) -> str:
    """The digest of ``ni:///sha-256;<digest>``: what the URLs use."""
    return content_id.rsplit(";", 1)[-1]


def fmt(value: float | None) -> str:
    return "no opinion" if value is None else f"{value:.4g}"


def status_word(html: str) -> str | None:
    found = re.search(r'id="status-word">([^<]*)<', html)
    return found[1] if found else None


def svg_title(svg: str) -> str | None:
    found = re.search(r"<title>([^<]*)</title>", svg)
    return found[1] if found else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--workdir", type=Path, help="where to keep the nodes and files "
                                                     "(default: a new temporary folder)")
    parser.add_argument("--ports", type=int, nargs=2, metavar=("E1", "E2"),
                        help="the two nodes' ports (default: two free ones)")
    parser.add_argument("--figures", type=Path, metavar="FILE",
                        help="write what each step observed (JSON) to FILE")
    parser.add_argument("--keep", action="store_true",
                        help="leave the nodes running at the end (stop them with: confiance "
                             "stop --data-dir WORKDIR/e1, and e2)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="two-sites-"))
    ports = tuple(args.ports) if args.ports else (free_port(), free_port())
    story = Story(workdir, ports)  # type: ignore[arg-type]
    print(f"Working in {workdir}")
    try:
        seen = story.play()
        print(f"\nThe story took {seen['total_seconds']:.1f} s.")
        if args.figures:
            args.figures.write_text(json.dumps(story.figures(), indent=2, default=str),
                                    encoding="utf-8")
        if args.keep:
            print(f"The nodes keep running: {story.e1.url}/ and {story.e2.url}/ ; stop them "
                  f"with: confiance stop --data-dir {workdir / 'e1'} (and e2)")
        elif sys.stdin.isatty():
            input(f"Open {story.e1.url}/ and {story.e2.url}/ meanwhile; press Enter to stop "
                  "the nodes. ")
    except StoryError as error:
        print(f"\nThe story stopped: {error}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            story.stop()
            if args.workdir is None:
                shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
