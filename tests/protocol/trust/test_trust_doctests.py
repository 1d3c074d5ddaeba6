"""The worked examples in the algorithm docstrings run, so the documentation stays true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["pagerank", "elimination", "pathtrust", "advogato", "fairness", "baselines",
           "accountability"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"confiance.protocol.trust.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
