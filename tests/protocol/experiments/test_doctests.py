"""The worked examples in the experiments' docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["metrics"])
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"confiance.protocol.experiments.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
