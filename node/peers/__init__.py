"""Gossip with recognised peers over HTTP: the node's side of ``specs/gossip.md``.

It drives the sans-IO engines of :mod:`confiance.protocol.gossip` (session state machine,
reconciliation, Plumtree, scoring, backoff) over ``POST <peer>/gossip``:

- **push**: every assertion newly stored here (from ``POST /assertions``, the admin API or
  gossip) goes, after verification by the :class:`~..ingest.Ingestor`, as a payload to the
  peers that are eager in its broadcast tree and as an id (``ihave``) to the lazy ones;
- **pull**: ids announced but not delivered are grafted after a timeout; ids found missing
  by anti-entropy are asked for (``want``);
- **anti-entropy**: with every recognised peer, every ``anti_entropy_interval`` (jittered),
  range-based reconciliation over the ids both hold, then the differences both ways.

Every document from a peer goes through the ingestor (verified, then stored, then
forwarded): an invalid one is never stored nor forwarded and costs the peer score; a peer
below the drop threshold is dropped (persisted, logged, shown in ``peers list``) until an
operator reinstates it. A session opens only for a ``hello`` signed by a pinned key of the
recognised peer it names; a refusal is 401 and never costs that peer score.

One module per job, imported in this order (each only from those above it; nothing here
imports :mod:`..routes.gossip`, which plugs the engine into the application with its
``setup``):

- :mod:`.settings`: :class:`~.settings.GossipSettings`, the ``[gossip]`` table;
- :mod:`.links`: a recognised peer as data (:class:`~.links.PeerLink`: queues, session,
  backoff), peer URLs and filters;
- :mod:`.outbound`: the only outbound HTTP of the node (``POST /gossip`` to a peer, key
  documents), every transport failure translated into one exception;
- :mod:`.keys`: the did:web keys of recognised peers, fetched, checked, cached;
- :mod:`.mesh`: the state both directions share and the movement of documents: ingest of
  a peer's documents, forwarding of new ones along the trees, held documents for a peer;
- :mod:`.worker`: one task per peer, our requests (hello, prune, graft, want, push, ihave,
  reconciliation) with backoff;
- :mod:`.responder`: the answers to a peer's ``POST /gossip`` (sessions, hello
  authentication);
- :mod:`.engine`: :class:`~.engine.Gossip` puts them together, starts and stops them,
  administers the peers; :func:`~.engine.gossip_context` is its cleanup context.

Peers and their dropped state live in ``DATA_DIR/gossip.sqlite3``; the id catalogue is
rebuilt from the store at start-up, and a first anti-entropy round with every peer then
catches up whatever was missed while the node was down.
"""
