"""`store_url`: each session test runs once with the in-memory store and once with Redis."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["memory", "redis"])
def store_url(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    url: str = request.getfixturevalue("redis_url")
    return url
