"""schemathesis fuzzes the running sidecar against the OpenAPI document it serves.

Every operation, with generated bodies: no 5xx, and every response (status, content type,
body) matches the document. The document under test is the one the server serves (checked
first); bounded by `max_examples`.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from sidecar_helpers import Sidecar

from railguard.engine.openapi import document

DOCUMENT = document(max_batch=1000, authenticated=False)
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_server_serves_this_document(sidecar: Sidecar) -> None:
    status, served = sidecar.get("/openapi.json")
    assert status == 200 and served == DOCUMENT


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_keeps_to_the_document(case: schemathesis.Case, sidecar: Sidecar) -> None:
    case.call_and_validate(base_url=sidecar.url)
