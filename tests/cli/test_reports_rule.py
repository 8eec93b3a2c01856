"""The rule "pm_reports and manager_reports ≤ direct_reports" is no longer hidden (issue 14): the
contract's meaning (direct reports who are product managers, as the ladders say too) is said in the
packet's JSON Schema, in docs/contract.md, and in the message of a packet that breaks it."""

from __future__ import annotations

import json
import os

import pytest

from clirun import run, write

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_the_json_schema_states_the_rule_it_cannot_express():
    schema = json.loads(run("schema", "packet").stdout)
    said = " ".join(schema["$defs"]["Leadership"]["description"].split())
    assert "pm_reports and manager_reports count direct reports (people reporting directly to the candidate)" in said
    assert "each is at most direct_reports" in said
    with open(os.path.join(ROOT, "docs", "contract.md"), encoding="utf-8") as fh:
        contract = " ".join(fh.read().split())
    assert "so each is at most `leadership.direct_reports`; more is an input error" in contract


@pytest.mark.parametrize("field", ["pm_reports", "manager_reports"])
def test_a_packet_breaking_it_is_told_the_rule_at_the_field(tmp_path, field):
    path = write(tmp_path, "p.yaml", f"candidate: {{id: c1}}\ncurrent_level: senior-pm\n"
                                      f"leadership:\n  direct_reports: 1\n  {field}: 2\n")
    result = run("evaluate", path, "--format", "json")
    assert result.exit_code == 2
    assert result.stderr == (
        f"promoready: {path}:5: leadership.{field}: {field} (2) is more than direct_reports (1): they are counted "
        "among the direct reports, so direct_reports is at least 2 "
        "[packet.more-than-direct-reports]\n")


def test_pms_reporting_directly_count_in_both(tmp_path):
    path = write(tmp_path, "p.yaml", "candidate: {id: c1}\ncurrent_level: senior-pm\ntarget_level: director\n"
                                      "leadership: {direct_reports: 2, pm_reports: 2}\n")
    result = run("evaluate", path, "--format", "json")
    assert result.exit_code == 0
    leads = next(c for c in json.loads(result.stdout)["criteria"] if c["id"] == "leads-pms")
    assert leads["status"] == "pass"
