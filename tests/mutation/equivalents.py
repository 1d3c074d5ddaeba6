"""Surviving mutants that are *equivalent*: no test can kill them because they change
nothing a user, a peer or a caller can observe. Keyed by module, then by the mutant's key
as ``run_mutants.py`` prints it (``function: original -> mutated``), so an entry stays
attached to its code while lines move, and drops out (the mutant shows again) when that
code changes. Each reason says why the change cannot be observed.
"""

from __future__ import annotations

_ID_LENGTH = ("a pre-filter before parsing: a valid id is 57 characters (ni:///sha-256; and 43 "
              "base64url characters) or 43 (bare), so moving the bound around 58 only changes "
              "which invalid strings are parsed (and refused) rather than skipped")

_TUNING = ("a tuning default: reconciliation is exact for any value the config accepts "
           "(tests run several); what it changes is bytes and round trips, which "
           "tests/benchmarks/bench_reconcile.py measures")

_TERMS_NO_LIMIT = ("unreachable (a guard kept so that verify never raises): check_terms "
                   "raises LimitExceeded only from inspect_document, which it calls only "
                   "without the document's shape or for a document that is no dict, and "
                   "verify always passes the shape of its own inspect_document, which "
                   "passed, of a dict")

_WHERE = ("which thread verifies (inline, the node's pool or asyncio's default pool): the "
          "same verification, the same outcomes")
_STORE_DECIDES = ("a shortcut before verification: the store's put() refuses an id its own "
                  "issuer erased with the same erased problem (and lets one tombstoned by "
                  "another DID through), so skipping the shortcut changes only the work done")

_SLOT_KEY = ("the slot key is an opaque prefix of a SHA-256 hex digest, made only by slot_for "
             "and only compared for equality: 31, 32 or 33 hex characters group the same "
             "assertions (a collision would take about 2**62 work or more)")
_KEY_PERIOD = ("defence in depth: the key resolver verify_assertion uses (keyring.resolve) "
               "already refuses a node key outside its validity period at the proof's "
               "created time, with its own message (tests/node/test_guard_ingest.py, "
               "test_a_proof_by_a_node_key_from_before_that_key_is_refused)")

_VERSION = ("the version is only compared for equality (a compiled matrix against its "
            "context): any increase marks a change as well as one by one")
_REFERRAL_AUDIENCE = ("a Referral always has an audience (the model requires one) and no other "
                      "kind of claim has one, so `and` and `or` agree")
_STANDING_SKIPPED = ("a standing referral is the one active record of its slot and valid, so "
                     "_ending finds no newer active one and gives no end, which the next test "
                     "skips as well; and every Referral record indexed here has a claim")
_BOUND = ("the bound's value: the test fills exactly MAX_WAITING statuses, then one more, and "
          "checks the oldest goes, whatever the constant says (it is a memory figure)")
_EMPTY_LEFT = ("memory only: an empty index entry is left behind; reading it gives () exactly "
               "as a missing one does")
_UNIT = ("a cap that never bites: weights lie in [-1, 1], so -weight and a trust-weighted mean "
         "of -weights are at most 1")
_SHARE = ("num and den are sums of non-negative terms and every term of num comes with one of "
          "den: num > 0 implies den > 0, and num == 0 gives 0 by either branch")
_NO_SLOT = ("unreachable: only Revocations and Acceptances have no slot, and they are handled "
            "before (they make no claim of their own); every record with a claim has a slot")
_IMPORTS_COUNTED = ("the default is never used: a Recognition being unlinked was linked "
                    "before, which counted it in this context")

EQUIVALENT: dict[str, dict[str, str]] = {
    "graph": {
        "<module>: MAX_WAITING = 100000 -> MAX_WAITING = 99999": _BOUND,
        "<module>: MAX_WAITING = 100000 -> MAX_WAITING = 100001": _BOUND,
        "TrustGraph._unlink: self._recognitions.pop((context, claim.issuer), None) -> pass":
            _EMPTY_LEFT,
        "TrustGraph._unlink: self._referrals.pop(key, None) -> pass": _EMPTY_LEFT,
        "TrustGraph.remove: self._referral_records.pop(key, None) -> pass": _EMPTY_LEFT,
        "TrustGraph.add: return self._set_active(record, record.effective() == 'valid') -> "
        "return None": _NO_SLOT,
        "TrustGraph.add: record.effective() == 'valid' -> record.effective() != 'valid'": _NO_SLOT,
        "TrustGraph.add: record.effective() == 'valid' -> record.effective() == 'valid#'": _NO_SLOT,
        "TrustGraph._reconsider: return self._set_active(record, record.effective() == 'valid') -> "
        "return None": _NO_SLOT,
        "TrustGraph._reconsider: record.effective() == 'valid' -> "
        "record.effective() != 'valid'": _NO_SLOT,
        "TrustGraph._reconsider: record.effective() == 'valid' -> "
        "record.effective() == 'valid#'": _NO_SLOT,
        "TrustGraph.remove: self._slots.pop(record.slot, None) -> pass":
            "memory only: an empty set is left for a slot that no record holds (the next "
            "assertion in that slot fills it again); _refresh_slot and _ending iterate it "
            "exactly as they iterate a missing one",
        "TrustGraph._apply_decision: when < target.revoked_at -> when <= target.revoked_at":
            "at equal times the earliest revocation's time is the same value either way",
        "TrustGraph._apply_decision: target.decision >= decision -> target.decision > decision":
            "two decisions are never equal: each carries its own acceptance's id, and an id is "
            "applied once (adding it again only sets its status)",
        "TrustGraph._refresh_slot: key > best -> key >= best":
            "keys end with the assertion's id, unique within a slot: never equal",
        "TrustGraph._link: claim.kind == 'Referral' and claim.audience is not None -> "
        "claim.kind == 'Referral' or claim.audience is not None": _REFERRAL_AUDIENCE,
        "TrustGraph._unlink: claim.kind == 'Referral' and claim.audience is not None -> "
        "claim.kind == 'Referral' or claim.audience is not None": _REFERRAL_AUDIENCE,
        "TrustGraph._unlink: refs.get(context, 1) -> refs.get(context, 2)": _IMPORTS_COUNTED,
        "TrustGraph._unlink: refs.get(context, 1) -> refs.get(context, 0)": _IMPORTS_COUNTED,
        "TrustGraph._put_edge: ctx.version += 1 -> ctx.version += 2": _VERSION,
        "TrustGraph._drop_edge: ctx.version += 1 -> ctx.version += 2": _VERSION,
        "_Context: version: int = 0 -> version: int = 1":
            _VERSION + "; a context starts at either value and its first edge moves it away "
            "from 0, the version of a context not held",
        "TrustGraph._drop_edge: v not in ctx.arrays.succ.get(u, {}) -> "
        "v in ctx.arrays.succ.get(u, {})":
            "unreachable: a claim dropped from a context was put there first, and putting a "
            "claim turns the context's arrays into its digraph for good (arrays is None here)",
        "TrustGraph.add: claim is not None and claim.kind == 'Referral' -> "
        "claim is not None or claim.kind == 'Referral'":
            "every record reaching this line has a claim (Revocations and Acceptances return "
            "before), and only a Referral has an audience: the other claims would be indexed "
            "under the audience '', which no referral has and no evaluator can be (the engine "
            "refuses an empty id), so no reading of referrals ever meets them",
        "TrustGraph.referral_windows: aid in standing or record.claim is None -> "
        "aid in standing and record.claim is None": _STANDING_SKIPPED,
        "TrustGraph.referral_windows: continue -> pass": _STANDING_SKIPPED,
        "TrustGraph._ending: newer > since -> newer >= since":
            "an active referral of the slot with the same validFrom gives ended == since, "
            "which referral_windows leaves out exactly as it leaves out an undated end",
        "TrustGraph.kept: j.expires.timestamp() > self.now -> j.expires.timestamp() >= "
        "self.now":
            "no judgement held expires at the clock: refresh drops every one whose expiry is "
            "at or before its clock, and keep refuses those; so none equals self.now here",
        "EvaluatorView.successors: node not in self.special -> node in self.special":
            "a context still held as arrays holds only Ratings (edge lists) and no Recognition "
            "(linking one turns the arrays into a digraph), so every reader of it, the "
            "evaluator included, reads the base weights: both ways yield the same pairs",
    },
    "ingest": {
        "Ingestor.submit_many: continue -> pass #2":
            "an id not held falls through to two reads that find nothing (no assertion, no "
            "tombstone); the Erased outcome they set is always replaced, since every fresh "
            "index gets the verification's or the store's outcome afterwards: only work",
        "Ingestor.submit_many: self.key_prefetch is not None and fresh -> self.key_prefetch "
        "is not None or fresh":
            "with the hook set, prefetching no documents fetches nothing; the hook is unset "
            "only when gossip shuts down, as the node stops, once the server takes no request",
        "slot_for: :32 -> :33": _SLOT_KEY,
        "slot_for: :32 -> :31": _SLOT_KEY,
        "Ingestor._verify: proof.get('verificationMethod') -> "
        "proof.get('verificationMethod#')": _KEY_PERIOD,
        "Ingestor._verify: self.keyring.check_created(method, parse_datetime(created, "
        "'proof.created') if isinstance(created, str) else None) -> pass": _KEY_PERIOD,
        "Ingestor.submit_many: zip(signed_of, stored, strict=True) -> "
        "zip(signed_of, stored, strict=False)":
            "an invariant's check: put_many returns one outcome per record it is given",
        "Ingestor.apply_notice: self.executor is None -> self.executor is not None": _WHERE,
        "Ingestor.submit_many: not batch -> batch": _WHERE + " (an empty batch verifies to [])",
        "Ingestor.submit_many: continue -> pass #4": _STORE_DECIDES,
        "Ingestor.submit_many: zip(fresh, verified, strict=True) -> "
        "zip(fresh, verified, strict=False)":
            "an invariant's check: _verify_all returns one outcome per document it is given",
        "Ingestor.submit_many: stone is None or stone.issuer == documents[index].get('issuer') "
        "-> stone is None and stone.issuer == documents[index].get('issuer')": _STORE_DECIDES,
        "Ingestor.submit_many: documents[index].get('issuer') -> "
        "documents[index].get('issuer#')": _STORE_DECIDES,
        "Ingestor.submit_many: self.executor is None or not batch -> self.executor is None "
        "and (not batch)": _WHERE,
        "Ingestor.submit_many: self.executor is None -> self.executor is not None": _WHERE,
    },
    "reconcile": {
        "SortedIdIndex.fingerprint: accumulate((int.from_bytes(x, 'little') for x in "
        "self._ids), initial=0) -> accumulate((int.from_bytes(x, 'little') for x in "
        "self._ids), initial=1)":
            "every fingerprint is a difference of two prefix sums: the initial value cancels",
        "ReconcileConfig: 256 * 1024 -> 257 * 1024": _TUNING,
        "ReconcileConfig: 256 * 1024 -> 255 * 1024": _TUNING,
        "ReconcileConfig: 256 * 1024 -> 256 * 1025": _TUNING,
        "ReconcileConfig: 256 * 1024 -> 256 * 1023": _TUNING,
        "ReconcileConfig: max_rounds: int = 1000 -> max_rounds: int = 1001": _TUNING,
        "ReconcileConfig: max_rounds: int = 1000 -> max_rounds: int = 999": _TUNING,
        "ReconcileConfig: buckets: int = 8 -> buckets: int = 9": _TUNING,
        "ReconcileConfig: buckets: int = 8 -> buckets: int = 7": _TUNING,
        "ReconcileConfig: id_list_threshold: int = 8 -> id_list_threshold: int = 9": _TUNING,
        "ReconcileConfig: id_list_threshold: int = 8 -> id_list_threshold: int = 7": _TUNING,
    },
    "accountability": {
        "judge_referral.negative: res.weight < 0 -> res.weight <= 0":
            "a weight of exactly 0 adds 0 to what is held against (own: min(1, -0) = 0; "
            "acquaintance: trust * 0) and its trust to the share's denominator either way",
        "judge_referral: min(1.0, -own.weight) -> -own.weight": _UNIT,
        "judge_referral: min(1.0, -own.weight) -> min(2.0, -own.weight)": _UNIT,
        "judge_referral: min(1.0, num / den) -> num / den": _UNIT,
        "judge_referral: min(1.0, num / den) -> min(2.0, num / den)": _UNIT,
        "judge_referral: den > 0 and num > 0 -> den > 0 or num > 0": _SHARE,
        "judge_referral: den > 0 -> den >= 0": _SHARE,
        "judge_referral: den > 0 -> den != 0": _SHARE,
        "judge_referral: num > 0 -> num >= 0": _SHARE,
        "judge_referral: num > 0 -> num != 0": _SHARE,
        "Penalty.apply: standing > 0 -> standing >= 0":
            "at a standing of exactly 0 both give 0 (0 * (1 - penalty) == 0)",
    },
    "signing": {
        "_Hasher.combined: options.get('@context') -> options.get('@context#')":
            "speed only: the proof configuration gets the document's @context either way; the "
            "original skips the copy when it already has it",
        "verify: type(doc) is dict or isinstance(doc, Mapping) -> "
        "type(doc) is dict and isinstance(doc, Mapping)":
            "only a document that is a Mapping but no dict tells them apart, and such a "
            "document is refused ('a credential is a JSON object') whatever proofs are read",
        "verify: len(proofs) > 1 -> len(proofs) != 1":
            "inside the loop over the proofs there is at least one: > 1 and != 1 agree",
        "verify: len(proofs) > 1 -> len(proofs) != 1 #2":
            "inside the loop over the proofs there is at least one: > 1 and != 1 agree",
        "_verify_one: proof_context is None or proof_context == unsecured['@context'] -> "
        "proof_context is None and proof_context == unsecured['@context']":
            "a cache key only: the other branch takes the same document (no previousProof, "
            "the proof's @context absent or equal to the document's) under another cache key",
        "_parse_proof: type(proof) is not dict and (not isinstance(proof, Mapping)) -> "
        "type(proof) is not dict or not isinstance(proof, Mapping)":
            "not reachable from JSON: only a Python caller's non-dict Mapping as a proof tells "
            "them apart (parsed JSON objects are dicts), and with the default term walk such "
            "a proof is refused before this check (unsupported value)",
        "verify: report.fail('limits', exc) -> pass #3": _TERMS_NO_LIMIT,
        "verify: return _finish(report, ()) -> return None #10": _TERMS_NO_LIMIT,
    },
    "subjectauth": {
        "_decode: raise InvalidSubjectRequest('the signed request must be a JSON object') -> pass":
            "unreachable: parse_json refuses any document that is not an object",
        "authenticate: return subject -> return None":
            "the routes take the subject from the path; none uses the return value",
        "authenticate: created < now - max_age -> created <= now - max_age":
            "a request that verifies has not expired (verify refuses now >= expires) and is "
            "valid for at most max_age (expires - created <= max_age, the other half of the "
            "test), so created > now - max_age always holds here: at equality the request "
            "has expired and verify refused it first (tests/node/"
            "test_guard_subject_requests.py, test_how_old_a_request_may_be_by_the_nodes_clock)",
    },
    "erasures": {
        "ErasureNotice: everything: bool = False -> everything: bool = True":
            "the one construction (verify_notice) always passes everything=",
        "verify_notice: raise SchemaError('Erasure.body must be an object', pointer='/body') "
        "-> pass": "unreachable: parse_json refuses any document that is not an object",
        "_normalised: continue -> pass":
            "the continue is the last statement of the loop body",
        "_normalised: len(item) <= 58 -> len(item) < 58": _ID_LENGTH,
        "_normalised: len(item) <= 58 -> len(item) <= 57": _ID_LENGTH,
        "_normalised: len(item) <= 58 -> len(item) <= 59": _ID_LENGTH,
        "_normalised: len(item) <= 58 -> len(item) <= 58 + 1": _ID_LENGTH,
        "_normalised: len(item) <= 58 -> len(item) != 58": _ID_LENGTH
        + "; no valid id is 58 characters long either",
    },
}


# -- jsondoc ----------------------------------------------------------------------------------
# Its two fast passes never decide a refusal themselves: _quick_check (no shape) and _fast_walk
# (with shape) raise _Suspect and inspect_document runs the precise _walk, which decides and
# names every error; tests/protocol/test_fast_paths.py checks each fast pass against _walk.
_QUICK_MORE = ("the quick pass only decides whether the precise walk runs: this makes it "
               "suspect more documents (a stricter test, or a larger size estimate), and each "
               "of those the precise walk then accepts or refuses alike, with the same "
               "jcs_plain; only the time changes")
_QUICK_STILL_ABOVE = ("the quick pass's size estimate stays at or above the precise walk's: a "
                      "list still counts len + 1 with 2 bytes per string item, against the "
                      "walk's nothing for the list and 3 per string item (1 + n - strings >= 1), "
                      "so it never accepts a document the walk refuses; it only decides whether "
                      "the walk runs")
_FAST_MORE = ("the fast walk only decides whether the precise walk runs: this makes it suspect "
              "more (or, for the value count, one container later: the final count check "
              "suspects anyway), and the precise walk then gives the same shape, leaves, "
              "jcs_plain or error; only the time changes")
_FAST_RECHECKED = ("only decides whether the precise test runs: max(map(len, ...)) > max_string "
                   "re-checks each string, and the encode and U+FFFF tests find nothing in "
                   "ASCII text; same result, no suspicion")
_RECHECKED = ("only decides whether _string_error looks at the string, and _string_error "
              "re-checks the length itself: a string exactly at the limit is looked at and "
              "passes")
_BMP_EXACT = ("exactly equivalent: a single character is > '\\uffff#' exactly when it is > "
              "'\\uffff' (U+FFFF itself is below both)")
_SAME_FLOAT = ("the same float: 1e21 - 1 and 1e21 + 1 round to 1e21 (doubles near 1e21 are "
               "131072 apart)")
_JCS_FLAGS = ("count[2] (a float) and count[3] (a key outside the BMP) are read only together, "
              "as jcs_plain = not count[2] and not count[3]")
_TOP_IS_OBJECT = ("the top-level value is always an object (inspect_document refuses anything "
                  "else) and an object's own verbatim flag is never read: each member's comes "
                  "from its key")
_FLAT_KIND = ("_flatten only asks whether a tree node is a dict (tree[0] == _DICT), and a dict "
              "node's keys and tokens have the same length (one token per key): the flat "
              "shape is the same")
_C_ENCODER = ("the same C encoder, or the pure encoder built with the same options (sorted keys, "
              "compact separators, no NaN, UTF-8 strings, _not_json), which gives the same "
              "bytes and errors for what reaches it (a dict, or a scalar); the level argument "
              "is read only when indenting, never here")
_JCS_SLOWER = ("speed only: a key holding U+FFFF makes canonicalize_jcs take the rfc8785 package "
               "instead of the standard library's encoder, which gives the same bytes (U+FFFF is "
               "in the BMP: UTF-16 and code-point order agree)")
_IRI_BYTES_SET = ("the byte table only decides whether the fast walk re-checks its IRIs one by "
                  "one with ABSOLUTE_IRI (same answer, slower): a smaller table re-checks more, "
                  "and the one larger table (33..127) adds DEL, which ABSOLUTE_IRI accepts too")

_INT_PREFILTER = ("a work limit before int(): every integer text of 18 characters or more is "
                  "outside +-(2**53 - 1) (at most 16 digits, 17 with a sign, inside it; JSON "
                  "allows no leading zeros), and the range check just after refuses it with the "
                  "same message; 17 stays the longest text int() reads")
_NO_NAN_REACHES = ("allow_nan is never consulted: only a plain document reaches the standard "
                   "library's encoders (canonicalize_jcs checks jcs_plain first), and a plain "
                   "document holds no float; NaN and the infinities are floats, which go to the "
                   "rfc8785 package, which refuses them (tests/protocol/test_guard_jsondoc.py, "
                   "test_nan_and_the_infinities_cannot_be_canonicalised)")
_STR_KEYS = ("skipkeys is never consulted: only a plain document reaches the C encoder, and "
             "every key of a plain one is a str (_jcs_plain is false for any other key, and "
             "inspect_document refuses one: 'object keys must be strings')")
_LEAF_CLASS = ("the leaf classes are only compared for equality, in memory (jsondoc, shapes), and "
               "must differ from one another, from the container tags 1 and 2 and from a bool "
               "(0, 1): 9 does as 8 does, where every other +1/-1 of the table collides and is "
               "killed")

EQUIVALENT["jsondoc"] = {
        "canonicalize_jcs: raise MalformedDocument('cannot canonicalise the document as JSON: "
        "nested too deeply or circular') from None -> pass":
            "the standard library encoder's RecursionError then falls through to "
            "rfc8785.dumps, which recurses in Python (more frames per level than the C "
            "encoder), hits RecursionError too and is refused with the same message; only "
            "the time changes",
        '_quick_check: depth += 1 -> depth += 2':
            _QUICK_MORE,
        '_quick_check: depth > limits.max_depth -> depth >= limits.max_depth':
            _QUICK_MORE,
        '_quick_check: len(keys) > max_string -> len(keys) >= max_string':
            _QUICK_MORE,
        '_quick_check: max(map(len, node)) > max_string -> max(map(len, node)) >= max_string':
            _QUICK_MORE,
        '_quick_check: 4 * len(node) -> 5 * len(node)':
            _QUICK_MORE,
        '_quick_check: len(keys) + 4 * len(node) + 2 -> len(keys) + 4 * len(node) + 3':
            _QUICK_MORE,
        '_quick_check: kinds <= _SCALARS -> kinds < _SCALARS':
            _QUICK_MORE,
        '_quick_check: 8 * len(ints) -> 9 * len(ints)':
            _QUICK_MORE,
        '_quick_check: 12 * len(floats) -> 13 * len(floats)':
            _QUICK_MORE,
        '_quick_check: len(joined) > max_string and max(map(len, strings)) > max_string -> '
        'len(joined) > max_string or max(map(len, strings)) > max_string':
            _QUICK_MORE,
        '_quick_check: 2 * len(strings) -> 3 * len(strings)':
            _QUICK_MORE,
        '_quick_check: values >= limits.max_values -> values >= limits.max_values - 1':
            _QUICK_MORE,
        '_quick_check: size > limits.max_bytes -> size >= limits.max_bytes':
            _QUICK_MORE,
        '_quick_check: len(node) + 2 -> len(node) + 1':
            _QUICK_STILL_ABOVE,
        '_fast_walk.container: values > max_values -> values >= max_values':
            _FAST_MORE,
        '_fast_walk.container: values > max_values -> values > max_values + 1':
            _FAST_MORE,
        '_fast_walk.container: max(map(len, node)) > max_string -> max(map(len, node)) >= '
        'max_string':
            _FAST_MORE,
        '_fast_walk.container: len(joined) > max_string -> len(joined) >= max_string':
            _FAST_RECHECKED,
        '_fast_walk: len(joined) > max_string -> len(joined) >= max_string':
            _FAST_RECHECKED,
        '_walk.mapping: len(joined) > max_string -> len(joined) >= max_string':
            _RECHECKED,
        '_walk.mapping: len(item) > max_string -> len(item) >= max_string':
            _RECHECKED,
        '_walk.value: len(node) > max_string -> len(node) >= max_string':
            _RECHECKED,
        "_quick_check: max(keys) > '\\uffff' -> max(keys) > '\\uffff#'":
            _BMP_EXACT,
        "_fast_walk.container: max(joined) > '\\uffff' -> max(joined) > '\\uffff#'":
            _BMP_EXACT,
        "_walk.mapping: max(key, default='') > '\\uffff' -> max(key, default='') > '\\uffff#'":
            _BMP_EXACT,
        "_jcs_plain: max(key) > '\\uffff' -> max(key) > '\\uffff#'":
            _BMP_EXACT,
        '_fast_walk.container: abs(item) < 1e+21 -> abs(item) < 1e+21 - 1':
            _SAME_FLOAT,
        '_fast_walk.container: abs(item) < 1e+21 -> abs(item) < 1e+21':
            _SAME_FLOAT,
        '_fast_walk.container: abs(item) < 1e+21 -> abs(item) < 1e+21 - 1 #2':
            _SAME_FLOAT,
        '_fast_walk.container: abs(item) < 1e+21 -> abs(item) < 1e+21 #2':
            _SAME_FLOAT,
        '_walk.value: abs(node) < 1e+21 -> abs(node) < 1e+21 - 1':
            _SAME_FLOAT,
        '_walk.value: abs(node) < 1e+21 -> abs(node) < 1e+21':
            _SAME_FLOAT,
        '_walk.mapping: count[3] -> count[2]':
            _JCS_FLAGS,
        '_walk.value: count[2] -> count[3]':
            _JCS_FLAGS,
        '_fast_walk: container(doc, 0, False) -> container(doc, 0, True)':
            _TOP_IS_OBJECT,
        '_walk: container(doc, 0, False, None) -> container(doc, 0, True, None)':
            _TOP_IS_OBJECT,
        '_flatten: tree[1] -> tree[2]':
            _FLAT_KIND,
        '_walk.sequence: (2, tuple(tokens)) -> (3, tuple(tokens))':
            _FLAT_KIND,
        '_plain_jcs: _JCS_C(obj, 0) -> _JCS_C(obj, 1)':
            _C_ENCODER,
        'canonicalize_jcs: _JCS_C(obj, 0) -> _JCS_C(obj, 1)':
            _C_ENCODER,
        "_jcs_plain: max(key) > '\\uffff' -> max(key) >= '\\uffff'":
            _JCS_SLOWER,
        '<module>: chr(c) not in \'<>"{}|\\\\^`\' -> chr(c) in \'<>"{}|\\\\^`\'':
            _IRI_BYTES_SET,
        '<module>: chr(c) not in \'<>"{}|\\\\^`\' -> chr(c) not in \'<>"{}|\\\\^`#\'':
            _IRI_BYTES_SET,
        '<module>: range(33, 127) -> range(34, 127)':
            _IRI_BYTES_SET,
        '<module>: range(33, 127) -> range(33, 128)':
            _IRI_BYTES_SET,
        '<module>: range(33, 127) -> range(33, 126)':
            _IRI_BYTES_SET,
        "parse_json: raise MalformedDocument(f'not valid JSON: {exc}') from None -> pass":
            'unreachable: json.loads raises no other ValueError here: the hooks raise '
            'MalformedDocument (not a ValueError), _parse_int refuses more than 17 characters '
            'before int() could reach its 4300-digit limit, and float() reads any JSON number '
            'text',
        '_fast_walk: zip(marks, iris, strict=True) -> zip(marks, iris, strict=False)':
            'marks and iris are appended together (one iri() call each), so they always have '
            'the same length',
        '_fast_walk: not joined.isascii() -> joined.isascii()':
            'the ASCII test only decides whether each IRI is re-checked one by one with '
            'ABSOLUTE_IRI (same answer as the byte table, only slower); a non-ASCII one then '
            "fails encode('ascii') with UnicodeEncodeError, which inspect_document takes as "
            'suspect and the precise walk decides',
        '_walk: loader is not None and shaped -> loader is not None or shaped':
            'terms are read only when the walk builds a shape (shaped is false whenever loader '
            "is None, by the line above); a loader's terms on an unshaped walk are never looked "
            'at',
        '<module>: (3, 4, 5, 6, 7, 8) -> (3, 4, 5, 6, 7, 9)':
            _LEAF_CLASS,
        "<module>: json.JSONEncoder(ensure_ascii=False, sort_keys=True, allow_nan=False, "
        "check_circular=False, separators=(',', ':'), default=_not_json) -> "
        "json.JSONEncoder(ensure_ascii=False, sort_keys=True, allow_nan=True, "
        "check_circular=False, separators=(',', ':'), default=_not_json)":
            _NO_NAN_REACHES,
        "<module>: _c_make_encoder(None, _not_json, json.encoder.encode_basestring, None, ':', "
        "',', True, False, False) -> _c_make_encoder(None, _not_json, "
        "json.encoder.encode_basestring, None, ':', ',', True, False, True)":
            _NO_NAN_REACHES,
        "<module>: _c_make_encoder(None, _not_json, json.encoder.encode_basestring, None, ':', "
        "',', True, False, False) -> _c_make_encoder(None, _not_json, "
        "json.encoder.encode_basestring, None, ':', ',', True, True, False)":
            _STR_KEYS,
        '_parse_int: len(text) > 17 -> len(text) > 17 + 1':
            _INT_PREFILTER,
        '_parse_int: len(text) > 17 -> len(text) > 18':
            _INT_PREFILTER,
        '_quick_check: len(node) + 2 -> len(node) + 3':
            _QUICK_MORE,
        '_quick_check: depth = values = size = 0 -> depth = values = size = 1':
            _QUICK_MORE,
        '<module>: _c_make_encoder is None -> _c_make_encoder is not None':
            _C_ENCODER + " (tests/protocol/test_guard_jsondoc.py runs canonicalize_jcs both "
            "ways: the same bytes as rfc8785, the same errors for a cycle, NaN and infinities)",
        '_quick_check: max(ints) > MAX_SAFE_INTEGER -> max(ints) >= MAX_SAFE_INTEGER':
            _QUICK_MORE,
        '_quick_check: min(ints) < -MAX_SAFE_INTEGER -> min(ints) <= -MAX_SAFE_INTEGER':
            _QUICK_MORE,
        '_quick_check: 5 * sum((type(c) is bool for c in children)) -> '
        '6 * sum((type(c) is bool for c in children))':
            _QUICK_MORE,
        '_quick_check: len(joined) > max_string -> len(joined) >= max_string':
            _QUICK_MORE,
        '_quick_check: max(map(len, strings)) > max_string -> '
        'max(map(len, strings)) >= max_string':
            _QUICK_MORE,
        'canonicalize_jcs: type(obj) is dict -> type(obj) is not dict':
            _C_ENCODER,
        '_walk.mapping: continue -> pass':
            'unshaped (shape=False or no loader), the tokens and leaves built after the '
            'continue are thrown away: mapping returns None and the info has no leaves; nothing '
            "there can raise (item[0] is guarded by 'not item')",
}
