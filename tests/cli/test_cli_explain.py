"""``promoready explain``: every criterion of one packet, the verdict first."""

from __future__ import annotations

import json

from clirun import run
from conftest import EXAMPLE


def test_explain_command_leads_with_the_verdict():
    out = run("explain", EXAMPLE, "--format", "markdown").stdout
    assert out.startswith("**emp-2071: not ready for senior-pm → director: blocked by")
    assert "- **Next step:**" in out and "- **Source:**" in out


def test_explain_text_format_lists_every_criterion_failures_first():
    out = run("explain", EXAMPLE, "--format", "text").stdout
    lines = out.splitlines()
    assert lines[0].startswith("emp-2071: not ready for senior-pm → director")
    heads = [line for line in lines if line.startswith(("FAIL · ", "UNKNOWN · ", "PASS · "))]
    decision = json.loads(run("evaluate", EXAMPLE, "--format", "json").stdout)
    assert len(heads) == len(decision["criteria"])
    order = [h.split(" · ")[0] for h in heads]
    assert order == sorted(order, key=["FAIL", "UNKNOWN", "PASS"].index)
    assert "  Next step:" in out and "  Source:" in out and "Next steps, smallest first:" in out
