"""The policy every integration test runs against: one rule per path an adapter must map."""

from __future__ import annotations

import pytest

import railguard

POLICY = r"""
policy agent {
  default deny
  allow call get_weather, send_email, search_contacts, fetch_url, read_vault

  rule no_mars:
    deny call get_weather
      when args.location matches /(?i)mars/
      message "no weather reports for {args.location}"

  rule outside_mail:
    escalate call send_email
      unless args.to matches /@acme\.com$/
      message "mail to {args.to} needs approval"

  rule mask_emails_in_calls:
    redact call search_contacts
      with redact.pattern(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/, replacement: "<EMAIL>")

  rule mask_emails_in_results:
    redact result
      with redact.pattern(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/, replacement: "<EMAIL>")

  rule vault_stays_inside:
    deny result read_vault
      message "vault contents never reach the model"

  rule review_web_pages:
    escalate result fetch_url
      message "web content needs review before the model reads it"
}
"""


@pytest.fixture(scope="session")
def guard() -> railguard.Guard:
    return railguard.loads(POLICY, "agent.rail")
