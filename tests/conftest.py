from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sse_widget import MockServer


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    """A mock server for the module's tests, which must leave it without a server error.

    Modules that expect errors (or need other options) define their own.
    """
    with MockServer() as server:
        yield server
        assert server.errors == []


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http:
        yield http
