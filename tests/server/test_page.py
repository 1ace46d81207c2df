"""The built web page ships inside the package and is served next to the API."""

from __future__ import annotations

import re

from synthera.server.app import STATIC
from tests.server.conftest import Server


def test_the_built_page_is_in_the_package() -> None:
    index = (STATIC / "index.html").read_text(encoding="utf-8")
    assets = re.findall(r'(?:src|href)="/(assets/[^"]+)"', index)
    assert assets, "run `make frontend` to build the page"
    for asset in assets:
        assert (STATIC / asset).is_file(), asset


def test_page_paths_get_the_page_and_api_paths_never_do(server: Server) -> None:
    client = server.client
    for path in ("/", "/datasets/abc", "/evaluations/abc", "/setup?token=x"):
        response = client.get(path)
        assert response.status_code == 200 and '<div id="root">' in response.text
    index = client.get("/").text
    asset = re.findall(r'src="(/assets/[^"]+)"', index)[0]
    assert client.get(asset).headers["cache-control"] == "public, max-age=31536000"
    assert client.get("/vendor/plotly.min.js").status_code == 200
    assert client.get("/../pyproject.toml").status_code in (200, 404)
    assert "[project]" not in client.get("/..%2f..%2fpyproject.toml").text
    missing = client.get("/api/v1/nothing-here", headers=server.add_user("alice"))
    assert missing.status_code == 404 and missing.json() == {"detail": "Not Found"}
