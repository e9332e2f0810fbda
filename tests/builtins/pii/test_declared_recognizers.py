"""`recognizer` declarations in a policy: its `pii` builtins find the declared entities
beside Presidio's, each policy with its own, patterns compiled once when the policy loads."""

from __future__ import annotations

import railguard

POLICY = r"""
policy employee_data {
  recognizer employee_id /\bEMP-[0-9]{6}\b/, /\bE[0-9]{7}\b/ context "employee", "staff"
  recognizer project_code /\bprj-[a-z]{3}\b/i score 0.5

  rule no_employee_ids:
    deny output when pii.entities(content) & {"EMPLOYEE_ID"}
      message "an employee id in the answer"

  rule sure_ids_only:
    warn output when pii.entities(content, min_score: 0.9) & {"EMPLOYEE_ID"}

  rule mask_codes:
    redact input with pii.mask(entities: ["PROJECT_CODE"])
}

policy other_team {
  recognizer employee_id /\bX-[0-9]{4}\b/

  rule their_ids:
    warn output when pii.entities(content) & {"EMPLOYEE_ID"}
}
"""


def output(text: str) -> dict[str, str]:
    return {"kind": "output", "content": text}


def test_a_declared_entity_is_found_by_every_pattern() -> None:
    guard = railguard.loads(POLICY)
    for text in ("ticket by EMP-004211", "ticket by E1234567"):
        verdict = guard.evaluate(output(text))
        assert verdict.denied, verdict.explain()
        found = verdict.violations[0].details or {}
        assert [f["entity"] for f in found["pii"]] == ["EMPLOYEE_ID"]
        start, end = found["pii"][0]["start"], found["pii"][0]["end"]
        assert text[start:end] in ("EMP-004211", "E1234567")
    assert not guard.evaluate(output("ticket by EMP-42")).denied


def test_context_words_raise_the_score() -> None:
    guard = railguard.loads(POLICY)
    plain = guard.evaluate(output("EMP-004211 was here"))
    near = guard.evaluate(output("our staff member EMP-004211 was here"))
    assert "employee_data.sure_ids_only" not in [w.rule for w in plain.warnings]
    assert "employee_data.sure_ids_only" in [w.rule for w in near.warnings]


def test_flags_apply_and_masking_uses_the_declared_entity() -> None:
    guard = railguard.loads(POLICY)
    verdict = guard.evaluate({"kind": "input", "content": "status of PRJ-abc and prj-XYZ?"})
    assert verdict.decision == "allow"
    assert verdict.content == "status of <PROJECT_CODE> and <PROJECT_CODE>?"
    assert [r.rule for r in verdict.redactions] == ["employee_data.mask_codes"] * 2


def test_each_policy_has_its_own_recognizers() -> None:
    guard = railguard.loads(POLICY)
    theirs = guard.evaluate(output("ask X-1234"))
    assert not theirs.denied  # not an id for employee_data
    assert [w.rule for w in theirs.warnings] == ["other_team.their_ids"]
    ours = guard.evaluate(output("ask EMP-004211"))
    assert "other_team.their_ids" not in [w.rule for w in ours.warnings]
