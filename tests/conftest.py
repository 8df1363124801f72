"""Shared fixtures: the shipped knowledge base, loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine import Engine, load_engine

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def engine() -> Engine:
    return load_engine(KNOWLEDGE)
