"""The sidecar's endpoints: problems for bad requests (never a 500), auth, status, metrics."""

from __future__ import annotations

import http.client
import json
import urllib.request

import pytest
from sidecar_helpers import Sidecar

import railguard

GOOD = {"kind": "call", "tool": "get_invoice", "args": {"invoice_id": "INV-123456"}}


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (b"", 400, "invalid_json", None),
        (b"{not json", 400, "invalid_json", None),
        (b'{"kind": "call", "tool": "x", "args": {"a": NaN}}', 400, "invalid_json", None),
        (b"\xff\xfe", 400, "invalid_json", None),
        (b"[" * 100 + b"]" * 100, 400, "too_deep", None),
        (
            json.dumps(
                {
                    "kind": "call",
                    "tool": "x",
                    "args": {
                        "a": [
                            [
                                [
                                    [
                                        [
                                            [
                                                [
                                                    [
                                                        [
                                                            [
                                                                [
                                                                    [
                                                                        [
                                                                            [
                                                                                [
                                                                                    [
                                                                                        [
                                                                                            [
                                                                                                [
                                                                                                    [
                                                                                                        [
                                                                                                            [
                                                                                                                [
                                                                                                                    [
                                                                                                                        [
                                                                                                                            [
                                                                                                                                [
                                                                                                                                    [
                                                                                                                                        [
                                                                                                                                            [
                                                                                                                                                [
                                                                                                                                                    [
                                                                                                                                                        [
                                                                                                                                                            [
                                                                                                                                                                [
                                                                                                                                                                    [
                                                                                                                                                                        [
                                                                                                                                                                            [
                                                                                                                                                                                [
                                                                                                                                                                                    [
                                                                                                                                                                                        [
                                                                                                                                                                                            [
                                                                                                                                                                                                [
                                                                                                                                                                                                    [
                                                                                                                                                                                                        [
                                                                                                                                                                                                            [
                                                                                                                                                                                                                [
                                                                                                                                                                                                                    [
                                                                                                                                                                                                                        [
                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                                                                1
                                                                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                ]
                                                                                                                                                                                                            ]
                                                                                                                                                                                                        ]
                                                                                                                                                                                                    ]
                                                                                                                                                                                                ]
                                                                                                                                                                                            ]
                                                                                                                                                                                        ]
                                                                                                                                                                                    ]
                                                                                                                                                                                ]
                                                                                                                                                                            ]
                                                                                                                                                                        ]
                                                                                                                                                                    ]
                                                                                                                                                                ]
                                                                                                                                                            ]
                                                                                                                                                        ]
                                                                                                                                                    ]
                                                                                                                                                ]
                                                                                                                                            ]
                                                                                                                                        ]
                                                                                                                                    ]
                                                                                                                                ]
                                                                                                                            ]
                                                                                                                        ]
                                                                                                                    ]
                                                                                                                ]
                                                                                                            ]
                                                                                                        ]
                                                                                                    ]
                                                                                                ]
                                                                                            ]
                                                                                        ]
                                                                                    ]
                                                                                ]
                                                                            ]
                                                                        ]
                                                                    ]
                                                                ]
                                                            ]
                                                        ]
                                                    ]
                                                ]
                                            ]
                                        ]
                                    ]
                                ]
                            ]
                        ]
                    },
                }
            ).encode(),
            400,
            "too_deep",
            None,
        ),
        (b"1" * 5000, 400, "invalid_json", None),
        (b"[]", 400, "invalid_event", None),
        (b'{"kind": "nope"}', 400, "invalid_event", "kind"),
        (b'{"tool": "x"}', 400, "invalid_event", "kind"),
        (b'{"kind": "call", "tool": 5}', 400, "invalid_event", "tool"),
        (b'{"kind": "call", "tool": "x", "args": []}', 400, "invalid_event", "args"),
        (b'{"kind": "input"}', 400, "invalid_event", "content"),
        (b'{"kind": "input", "content": "x", "extra": 1}', 400, "invalid_event", "extra"),
        (b'{"kind": "input", "content": "x", "session": 3}', 400, "invalid_event", "session"),
    ],
)
def test_malformed_requests_get_a_problem_naming_the_field(
    sidecar: Sidecar, body: bytes, status: int, code: str, field: str | None
) -> None:
    got, problem = sidecar.post("/v1/evaluate", raw=body)
    assert got == status, problem
    assert problem["code"] == code and problem["status"] == status
    assert problem.get("field") == field
    assert problem["title"] and problem["detail"]


def test_a_huge_body_is_refused_with_413_before_it_is_read(sidecar: Sidecar) -> None:
    # Only the headers are sent: the refusal must come from the declared length, before
    # the body (a client that sent it all could see the connection close under it).
    host, port = sidecar.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("POST", "/v1/evaluate")
    conn.putheader("content-type", "application/json")
    if sidecar.token:
        conn.putheader("authorization", f"Bearer {sidecar.token}")
    conn.putheader("content-length", str(3 * 1024 * 1024))
    conn.endheaders()
    response = conn.getresponse()
    problem = json.loads(response.read())
    conn.close()
    assert response.status == 413 and problem["code"] == "body_too_large"
    assert sidecar.get("/healthz")[0] == 200


def test_batch_problems_name_the_event(sidecar: Sidecar) -> None:
    status, problem = sidecar.post("/v1/evaluate/batch", {"events": [GOOD, {"kind": "call"}]})
    assert status == 400 and problem["field"] == "events[1].tool"
    status, problem = sidecar.post("/v1/evaluate/batch", [GOOD])
    assert status == 400 and problem["field"] == "events"
    status, problem = sidecar.post("/v1/evaluate/batch", {"events": [GOOD] * 1001})
    assert status == 400 and problem["code"] == "batch_too_large"
    status, body = sidecar.post("/v1/evaluate/batch", {"events": []})
    assert status == 200 and body == {"verdicts": []}


def test_unknown_paths_and_methods_are_problems_too(sidecar: Sidecar) -> None:
    status, problem = sidecar.get("/v2/nothing")
    assert status == 404 and problem["code"] == "not_found"
    status, problem = sidecar.get("/v1/evaluate")
    assert status == 405 and problem["code"] == "method_not_allowed"


def test_verdict_json_is_the_in_process_json(sidecar: Sidecar) -> None:
    status, body = sidecar.post("/v1/evaluate", GOOD)
    assert status == 200
    local = railguard.load(sidecar_paths(sidecar)).evaluate(GOOD).to_dict()
    assert list(body) == list(local)
    assert body["policy_digest"].startswith("sha256:")


def sidecar_paths(sidecar: Sidecar) -> list[str]:
    return sidecar.proc.args[4 : sidecar.proc.args.index("--port")]  # type: ignore[index]


def test_status_health_readiness_and_openapi(sidecar: Sidecar) -> None:
    status, body = sidecar.get("/healthz")
    assert status == 200 and body == {"status": "ok"}
    status, ready = sidecar.get("/readyz")
    assert status == 200 and ready["ready"] is True
    status, info = sidecar.get("/v1/policies")
    assert status == 200
    assert info["digest"] == ready["digest"]
    assert {p["name"] for p in info["policies"]} >= {"finance", "files", "web", "extras", "trial"}
    finance = next(p for p in info["policies"] if p["name"] == "finance")
    assert finance["version"] == "1.0.0" and finance["rules"] > 10
    assert info["rule_count"] == sum(p["rules"] for p in info["policies"])
    assert info["last_error"] is None and info["loaded_at"]
    status, doc = sidecar.get("/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) >= {"/v1/evaluate", "/v1/evaluate/batch", "/v1/policies", "/metrics"}


def test_metrics_count_decisions_rules_latency_and_errors(sidecar: Sidecar) -> None:
    sidecar.post("/v1/evaluate", {"kind": "call", "tool": "drop_database", "args": {}})
    sidecar.post("/v1/evaluate", raw=b"{")
    status, text = sidecar.get("/metrics")
    assert status == 200
    assert 'railguard_decisions_total{decision="deny"}' in text
    assert (
        'railguard_rule_decisions_total{policy="finance",rule="finance.default",decision="deny"}'
        in text
    )
    assert (
        "railguard_evaluate_seconds_bucket{le=" in text
        and "railguard_evaluate_seconds_count" in text
    )
    assert 'railguard_reloads_total{outcome="success"} 1' in text
    assert 'railguard_request_errors_total{status="400",code="invalid_json"}' in text
    assert "railguard_ready 1" in text


def test_a_token_guards_every_endpoint_but_health(secured: Sidecar) -> None:
    for method, path in [
        ("POST", "/v1/evaluate"),
        ("POST", "/v1/evaluate/batch"),
        ("GET", "/v1/policies"),
        ("POST", "/v1/reload"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
    ]:
        for header in ({}, {"authorization": "Bearer wrong"}, {"authorization": "s3cret-token"}):
            req = urllib.request.Request(secured.url + path, method=method, headers=header)
            try:
                urllib.request.urlopen(req, timeout=5)
                raise AssertionError(f"{method} {path} answered without the token")
            except urllib.error.HTTPError as err:
                assert err.code == 401, (path, err.code)
                assert err.headers["www-authenticate"].startswith("Bearer")
                assert json.loads(err.read())["code"] == "unauthorized"
    for path in ("/healthz", "/readyz"):
        with urllib.request.urlopen(secured.url + path, timeout=5) as r:
            assert r.status == 200
    status, _ = secured.post("/v1/evaluate", GOOD)
    assert status == 200
    with railguard.Client(secured.url, token="s3cret-token") as client:
        assert client.evaluate(GOOD).allowed
    with railguard.Client(secured.url, token="nope", fail_open=True) as client:
        verdict = client.evaluate(GOOD)  # a refused token is a misconfiguration: fail closed
    assert verdict.denied and verdict.violations[0].rule == "railguard.sidecar"
    assert "401" in (verdict.violations[0].error or "")
