"""The PII builtins: evasion, masking, JSON paths, limits, custom recognizers, NER."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import railguard
from railguard.builtins import pii
from railguard.builtins.pii import detect, masking
from railguard.builtins.registry import EvalError

from .conftest import needs_model

CARD = "4111111111111111"
SSN = "536-22-8741"
EMAIL = "jane.roe@example.com"


def _zw(s: str) -> str:
    return "\u200b".join(s)


def _full(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# (entity, how the value is written)
EVASIONS = [
    ("CREDIT_CARD", CARD),
    ("CREDIT_CARD", "4111 1111 1111 1111"),
    ("CREDIT_CARD", "4111-1111-1111-1111"),
    ("CREDIT_CARD", " ".join(CARD)),
    ("CREDIT_CARD", "-".join(CARD)),
    ("CREDIT_CARD", _zw(CARD)),
    ("CREDIT_CARD", _full("4111 1111 1111 1111")),
    ("CREDIT_CARD", "4111\u00ad1111\u00ad1111\u00ad1111"),
    ("CREDIT_CARD", "".join(chr(0x0660 + int(c)) for c in CARD)),
    ("CREDIT_CARD", "5500 0055 5555 5559"),
    ("US_SSN", SSN),
    ("US_SSN", "536 22 8741"),
    ("US_SSN", _zw(SSN)),
    ("US_SSN", _full(SSN)),
    ("US_SSN", "536\u200d-22\u2060-8741"),
    ("EMAIL_ADDRESS", EMAIL),
    ("EMAIL_ADDRESS", _zw(EMAIL)),
    ("EMAIL_ADDRESS", _full(EMAIL)),
    ("EMAIL_ADDRESS", "jane.roe\uff20example.com"),
    ("EMAIL_ADDRESS", "jane.roe (at) example (dot) com"),
    ("EMAIL_ADDRESS", "jane.roe[at]example[dot]com"),
    ("EMAIL_ADDRESS", "jane.roe @ example.com"),
    ("EMAIL_ADDRESS", "ja\u00adne.roe@exam\u00adple.com"),
    ("PHONE_NUMBER", "+1 415-555-0132"),
    ("PHONE_NUMBER", _zw("+1 415-555-0132")),
    ("IBAN_CODE", "DE89 3704 0044 0532 0130 00"),
    ("IBAN_CODE", _zw("DE89370400440532013000")),
]


def _opts(*entities: str) -> detect.Options:
    return detect.Options(frozenset(entities) if entities else None, 0.4)


@pytest.mark.parametrize(("entity", "written"), EVASIONS, ids=[repr(w)[:40] for _, w in EVASIONS])
def test_evasions_are_found_and_masked_at_the_right_span(entity: str, written: str) -> None:
    before, after = "Hello, my details: ", " - thanks!"
    text = before + written + after
    hits = detect.detect_hits(text, _opts(entity))
    assert [(h.entity, h.start, h.end) for h in hits] == [
        (entity, len(before), len(before) + len(written))
    ]
    spans = pii.mask(text, entities=[entity])
    assert spans == [(len(before), len(before) + len(written), f"<{entity}>")]


def test_find_on_json_names_paths_and_never_the_value() -> None:
    value = {"to": EMAIL, "items": [{"note": f"card {CARD}"}, 3], "a b": "none"}
    found = pii.find(value)
    assert found == [
        {"entity": "EMAIL_ADDRESS", "score": 1.0, "start": 0, "end": 20, "path": "to"},
        {"entity": "CREDIT_CARD", "score": 1.0, "start": 5, "end": 21, "path": "items[0].note"},
    ]
    assert CARD not in repr(found) and EMAIL not in repr(found)
    assert pii.entities(value) == {"EMAIL_ADDRESS", "CREDIT_CARD"}
    assert pii.find(None) == [] and pii.find(42) == [] and pii.find("") == []


def test_entities_and_min_score_filter() -> None:
    text = f"mail {EMAIL}, ssn {SSN}"
    assert pii.entities(text, entities=["US_SSN"]) == {"US_SSN"}
    assert pii.entities(text, min_score=0.9) == {"EMAIL_ADDRESS"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"entities": ["NOPE"]}, "unknown PII entity `NOPE`"),
        ({"min_score": 2}, "`min_score` must be a number from 0 to 1"),
        ({"language": "de"}, "supports the language `en`"),
        ({"recognizers": ["undeclared"]}, "no recognizer named `undeclared`"),
    ],
)
def test_bad_arguments_fail_closed(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(EvalError, match=message):
        pii.find("x", **kwargs)  # type: ignore[arg-type]


def test_size_and_time_limits_fail_closed() -> None:
    old = detect.config()
    saved = (old.max_chars, old.time_limit_ms)
    try:
        detect.configure(max_chars=100)
        with pytest.raises(EvalError, match="over the limit of 100 characters"):
            pii.find({"a": "x" * 60, "b": "y" * 60})
        detect.configure(max_chars=10**7, time_limit_ms=0)
        with pytest.raises(EvalError, match="took over 0 ms"):
            pii.find("call me at +1 415-555-0132 " * 2000)
    finally:
        detect.configure(max_chars=saved[0], time_limit_ms=saved[1])


def test_long_texts_are_scanned_in_chunks() -> None:
    filler = "lorem ipsum dolor sit amet " * 700  # about 19,000 characters
    text = filler + EMAIL + " " + filler + CARD
    found = pii.find(text)
    assert [(f["entity"], f["start"]) for f in found] == [
        ("EMAIL_ADDRESS", len(filler)),
        ("CREDIT_CARD", 2 * len(filler) + len(EMAIL) + 1),
    ]
    pieces = list(detect.chunks("a " * 10000))
    assert len(pieces) > 2
    for (o1, p1), (o2, _) in itertools.pairwise(pieces):
        assert o2 < o1 + len(p1), "consecutive chunks overlap"


def test_mask_modes() -> None:
    text = f"card {CARD} and mail {EMAIL}"
    assert pii.mask(text, entities=["CREDIT_CARD"], mode="partial") == [(5, 21, "************1111")]
    assert pii.mask(text, entities=["CREDIT_CARD"], mode="fixed", replacement="#") == [(5, 21, "#")]
    assert pii.mask("4111 1111 1111 1111", mode="partial", keep=2) == [
        (0, 19, "**** **** **** **11")
    ]


def test_hash_mode_needs_a_key_and_matches_mentions(monkeypatch: pytest.MonkeyPatch) -> None:
    text = f"{CARD} then 4111-1111-1111-1111 and 5500 0055 5555 5559"
    monkeypatch.delenv("TEST_PII_KEY", raising=False)
    with pytest.raises(EvalError, match="TEST_PII_KEY"):
        pii.mask(text, mode="hash", key_env="TEST_PII_KEY")
    monkeypatch.setenv("TEST_PII_KEY", "k1")
    first, second, third = pii.mask(text, mode="hash", key_env="TEST_PII_KEY")
    assert first[2] == second[2] != third[2]
    assert first[2].startswith("<CREDIT_CARD:") and CARD not in first[2]
    monkeypatch.setenv("TEST_PII_KEY", "k2")
    assert pii.mask(text, mode="hash", key_env="TEST_PII_KEY")[0][2] != first[2]


SPANS = st.lists(
    st.tuples(st.integers(0, 60), st.integers(1, 15), st.floats(0.1, 1.0)), max_size=8
).map(lambda xs: [masking.Span("E", s, s + n, sc) for s, n, sc in xs])


@settings(max_examples=200)
@given(SPANS)
def test_merged_masks_cover_exactly_the_original_spans(spans: list[masking.Span]) -> None:
    text = "x" * 80
    out = masking.redactions(text, spans, mode="tag")
    covered = {i for s in spans for i in range(s.start, s.end)}
    masked = {i for start, end, _ in out for i in range(start, end)}
    assert masked == covered
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(out)), "no overlap left"


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([CARD, SSN, EMAIL]),
    st.text(alphabet="abc ,.\n", max_size=20),
    st.text(alphabet="abc ,.\n", max_size=20),
    st.lists(st.sampled_from(["\u200b", "\u00ad", "\u2060"]), max_size=3),
)
def test_masking_lands_on_the_original_characters(
    value: str, before: str, after: str, junk: list[str]
) -> None:
    planted = value
    for i, ch in enumerate(junk):
        k = 1 + (3 * i) % (len(value) - 2)
        planted = planted[:k] + ch + planted[k:]
    text = f"{before} {planted} {after}"
    start = len(before) + 1
    spans = pii.mask(text, entities=["CREDIT_CARD", "US_SSN", "EMAIL_ADDRESS"])
    assert [(s, e) for s, e, _ in spans] == [(start, start + len(planted))]


def test_custom_recognizers() -> None:
    employee = pii.custom_recognizer("employee_id", [r"\bEMP-[0-9]{6}\b"], ["staff"], 0.3)
    assert pii.find("EMP-004211 left", recognizers=[employee]) == []  # 0.3 < 0.4
    assert pii.find("staff EMP-004211 left", recognizers=[employee]) == [
        {"entity": "EMPLOYEE_ID", "score": 0.65, "start": 6, "end": 16, "path": ""}
    ]
    pii.register_recognizer(employee)
    try:
        assert pii.entities("EMP-000001", recognizers=["employee_id"], min_score=0.3) == {
            "EMPLOYEE_ID"
        }
        assert pii.mask("id EMP-000001", recognizers=["employee_id"], min_score=0.3) == [
            (3, 13, "<EMPLOYEE_ID>")
        ]
    finally:
        pii.unregister_recognizer("employee_id")
    with pytest.raises(Exception, match="backreference"):
        pii.custom_recognizer("bad", [r"(a)\1"])
    with pytest.raises(ValueError, match="score"):
        pii.custom_recognizer("bad", ["a"], score=0)


def test_ner_entities_without_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detect.config(), "model", None)
    assert pii.ner_entities_without_model(["PERSON", "EMAIL_ADDRESS", "LOCATION"]) == [
        "LOCATION",
        "PERSON",
    ]
    assert pii.ner_entities_without_model(["EMAIL_ADDRESS"]) == []
    assert pii.ner_entities_without_model(["PERSON"], model="no_such_model_xyz") == ["PERSON"]


def test_the_ner_path_finds_people() -> None:
    needs_model()
    text = "Please send the contract to Maria Gonzalez in Barcelona, mail maria@example.com."
    found = pii.entities(text, model="en_core_web_sm")
    assert {"PERSON", "EMAIL_ADDRESS"} <= found
    assert pii.entities(text) == {"EMAIL_ADDRESS"}  # no model configured: patterns only


def test_a_missing_model_is_an_error_not_a_download() -> None:
    with pytest.raises(EvalError, match="not installed"):
        pii.find("Maria", entities=["PERSON"], model="xx_missing_model_sm")


def test_policy_denies_and_masks() -> None:
    guard = railguard.loads(
        """policy p {
  rule no_cards:
    deny output when pii.entities(content) & {"CREDIT_CARD"}
  rule mask:
    redact output with pii.mask(entities: ["EMAIL_ADDRESS"])
}"""
    )
    v = guard.evaluate(railguard.ModelOutput(content=f"card {CARD}"))
    assert v.denied
    (violation,) = v.violations
    assert violation.details is not None and violation.details["pii"][0]["entity"] == "CREDIT_CARD"
    assert CARD not in v.to_json()
    v = guard.evaluate(railguard.ModelOutput(content={"m": f"mail {_zw(EMAIL)}"}))
    assert v.allowed and v.content == {"m": "mail <EMAIL_ADDRESS>"}
    assert [r.path for r in v.redactions] == ["content.m"]
