"""Property-based requests from the OpenAPI schema (schemathesis): no answer is a 5xx.

Bounded examples per operation keep it quick; SQLite only (the store is covered on
Postgres by the other tests).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from tests.server.conftest import make_settings, start_server  # noqa: E402

EXAMPLES = 12


def test_no_operation_answers_with_a_server_error(tmp_path: Path) -> None:
    running = start_server(make_settings(tmp_path / "data", f"sqlite:///{tmp_path}/s.db"))
    server = next(running)
    try:
        admin = server.add_user("admin", admin=True)
        server.upload(admin)  # something to find, besides the many 404s
        raw = server.client.get("/api/v1/openapi.json").json()
        schema = schemathesis.openapi.from_dict(raw)
        failures: list[str] = []
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 30

        for operation in operations:

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy())
            def check(case: Any) -> None:
                if case.path.endswith("/events"):
                    return  # a stream that lasts until its job ends; covered elsewhere
                kwargs = case.as_transport_kwargs(base_url="http://testserver")
                headers = {**(kwargs.pop("headers", None) or {}), **admin}
                kwargs.pop("cookies", None)  # the API reads no cookie but the session's
                response = server.client.request(headers=headers, **kwargs)
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path}: {response.text}")

            check()
        assert failures == []
    finally:
        next(running, None)
