"""Request URLs: the quick way of putting a path under the base URL gives exactly what RFC 3986
resolution (`httpx.URL.join`) gives, for every kind of path a client or a next-link sends."""

from __future__ import annotations

import httpx
import pytest

from balance_gateway.adapters._core.client import BaseClient, base_url_of, url_under

BASES = ["http://h:8000", "https://api.example.com/v2/", "http://h/a/b", "https://h:443/x%20y/"]
PATHS = [
    "/api/v1/accruals/ABC",
    "api/v1/accruals",
    "items?cursor=abc",
    "/items?x=1&y=2",
    "a b/c",
    "p/\u00fc/\u00e9",
    "a/'x'/(1)",
    "accruals('x')",
    "https://other.example/x",  # a next-link that is a full URL
    "../up",
    "./here",
    "a/../b",
    "x#frag",
    "a//b",
    "?q=1",
    "",
    "/",
    "a:b",
    "a/b:c",
    "a%2Fb",
    "a?b=c/./d",
    "x/.well-known",
]


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("path", PATHS)
def test_a_path_under_the_base_is_what_join_resolves(base: str, path: str) -> None:
    base_url = base_url_of(base)
    assert url_under(base_url, path) == base_url.join(path.lstrip("/"))


def test_a_request_keeps_a_query_already_in_its_path_and_adds_its_params() -> None:
    client = BaseClient(base_url="https://api.example.com/v2")
    request = client.build_request("GET", "/items?cursor=abc", params={"limit": 5, "x": None})
    assert request.url == httpx.URL("https://api.example.com/v2/items?cursor=abc&limit=5")
