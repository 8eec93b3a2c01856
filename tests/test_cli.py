"""The command line through click's CliRunner and real subprocesses: exit codes, streams, messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from promoready.cli import main

from conftest import EXAMPLE, ROOT, TINY, TINY_PACKET

PY = sys.executable


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_evaluate_json_is_the_decision(tmp_path):
    result = run("evaluate", EXAMPLE, "--format", "json")
    assert result.exit_code == 0
    decision = json.loads(result.stdout)
    assert decision["candidate_id"] == "emp-2071"
    assert decision["verdict"] == "not_ready"
    assert set(decision) >= {"decision_version", "ladder", "packet_digest", "transition", "as_of", "criteria",
                             "summary", "next_steps"}
    assert result.stderr == ""


def test_without_reviews_review_criteria_are_unknown(tmp_path):
    text = open(EXAMPLE).read()
    start = text.index("reviews:")
    end = text.index("impact:")
    path = write(tmp_path, "p.yaml", text[:start] + text[end:])
    decision = json.loads(run("evaluate", path, "--format", "json").stdout)
    months = next(c for c in decision["criteria"] if c["id"] == "sustained-next-level-performance")
    assert months["status"] == "unknown" and months["missing"] == ["reviews"]
    assert all(c["status"] != "fail" or "reviews" not in " ".join(c["evidence"]) for c in decision["criteria"])


def test_unknown_level_exits_2_naming_field_and_suggestion(tmp_path):
    text = open(EXAMPLE).read().replace("target_level: director", "target_level: directorr")
    path = write(tmp_path, "p.yaml", text)
    result = run("evaluate", path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (f"promoready: {path}:9: target_level: unknown level 'directorr' "
                             "(did you mean 'director'?) [packet.unknown-level]\n")


def test_current_level_typo_from_the_issue(tmp_path):
    text = open(EXAMPLE).read().replace("current_level: Senior PM", "current_level: directorr")
    result = run("evaluate", write(tmp_path, "p.yaml", text))
    assert result.exit_code == 2
    assert "current_level: unknown level 'directorr' (did you mean 'director'?)" in result.stderr


def test_bad_packet_among_good_ones_still_prints_the_good(tmp_path):
    bad = write(tmp_path, "bad.json", "{not json")
    result = run("evaluate", EXAMPLE, bad, "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["candidate_id"] == "emp-2071"
    assert "bad.json:1: malformed JSON" in result.stderr


@pytest.mark.parametrize("fail_on, code", [(None, 0), ("not-ready", 1), ("insufficient", 0), ("any", 1)])
def test_fail_on(fail_on, code):
    args = ["evaluate", EXAMPLE, "--format", "json"] + (["--fail-on", fail_on] if fail_on else [])
    assert run(*args).exit_code == code


def test_fail_on_insufficient(tmp_path):
    packet = dict(TINY_PACKET)
    packet.pop("reviews")
    path = write(tmp_path, "p.json", packet)
    assert run("evaluate", path, "--ladder", TINY, "--fail-on", "insufficient").exit_code == 1
    assert run("evaluate", path, "--ladder", TINY, "--fail-on", "not-ready").exit_code == 0


def test_as_of_option(tmp_path):
    packet = dict(TINY_PACKET)
    packet.pop("as_of")
    path = write(tmp_path, "p.json", packet)
    out = json.loads(run("evaluate", path, "--ladder", TINY, "--as-of", "2026-11-01", "--format", "json").stdout)
    assert out["as_of"] == "2026-11-01"
    bad = run("evaluate", path, "--ladder", TINY, "--as-of", "1/11/2026")
    assert bad.exit_code == 2 and "--as-of: expected a date as YYYY-MM-DD" in bad.stderr


def test_what_if_reports_changed_criteria():
    result = run("evaluate", EXAMPLE, "--format", "json", "--set", "leadership.mentees=3",
                 "--set", "influence.exec_presentations=4")
    out = json.loads(result.stdout)
    assert out["what_if"]["verdict_before"] == "not_ready"
    changed = {c["id"]: (c["before"], c["after"]) for c in out["what_if"]["changed"]}
    assert len(changed) == 2 and all(v == ("fail", "pass") for v in changed.values())


def test_what_if_append_and_bad_syntax():
    result = run("evaluate", EXAMPLE, "--format", "json",
                 "--set", 'advocates+={"level": "vp", "committed": true}')
    out = json.loads(result.stdout)
    assert any(c["before"] == "unknown" and c["after"] == "pass" for c in out["what_if"]["changed"])
    bad = run("evaluate", EXAMPLE, "--set", "reviews[9].rating=meets")
    assert bad.exit_code == 2 and "--set: reviews has no item [9] (it has 2)" in bad.stderr
    bad = run("evaluate", EXAMPLE, "--set", "experience.product_years=-1")
    assert bad.exit_code == 2 and "experience.product_years" in bad.stderr


def test_explain_fails_filters_rows():
    full = run("evaluate", EXAMPLE, "--format", "markdown").stdout
    fails = run("evaluate", EXAMPLE, "--format", "markdown", "--explain", "fails").stdout
    assert "| pass |" in full and "| pass |" not in fails
    assert fails.count("| fail |") == full.count("| fail |")


def test_explain_command_leads_with_the_verdict():
    out = run("explain", EXAMPLE, "--format", "markdown").stdout
    assert out.startswith("**emp-2071: not ready for senior-pm → director: blocked by")
    assert "- **Next step:**" in out and "- **Source:**" in out


def test_ladder_commands():
    listing = json.loads(run("ladder", "list", "--format", "json").stdout)
    assert {row["id"] for row in listing} == {"product-management", "startup"}
    assert run("ladder", "validate").exit_code == 0
    tested = run("ladder", "test", TINY)
    assert tested.exit_code == 2  # the tiny fixture has no examples
    result = run("ladder", "test")
    assert result.exit_code == 0 and result.stdout.rstrip().endswith("34 passed, 0 failed")
    show = json.loads(run("ladder", "show", "apm-to-pm", "--format", "json").stdout)
    assert [t["key"] for t in show["transitions"]] == ["apm-to-pm"]


def test_ladder_validate_rejects_broken_copy(tmp_path):
    import shutil

    folder = tmp_path / "pm"
    shutil.copytree(os.path.join(ROOT, "rules", "product-management"), folder)
    path = folder / "apm-to-pm.yaml"
    path.write_text(path.read_text().replace("measure: months_at_target", "measure: months_at_targt", 1))
    result = run("ladder", "validate", str(folder))
    assert result.exit_code == 2
    assert "apm-to-pm.yaml:" in result.stderr and "unknown measure 'months_at_targt'" in result.stderr
    assert "did you mean 'months_at_target'?" in result.stderr


def test_startup_ladder_through_ladder_option(tmp_path):
    packet = {"candidate": {"id": "s1"}, "current_level": "PM", "as_of": "2026-11-01",
              "experience": {"product_years": 4}}
    path = write(tmp_path, "p.json", packet)
    out = json.loads(run("evaluate", path, "--ladder", "startup", "--format", "json").stdout)
    assert out["ladder"]["id"] == "startup"
    assert out["transition"]["to"] == "senior-pm"


def test_a_packet_naming_a_bundled_ladder_gets_it_even_beside_a_folder_of_that_name(tmp_path, monkeypatch):
    packet = {"candidate": {"id": "s1"}, "current_level": "PM", "as_of": "2026-11-01", "ladder": "startup",
              "experience": {"product_years": 4}}
    path = write(tmp_path, "p.json", packet)
    (tmp_path / "startup").mkdir()  # not a ladder: only `--ladder startup` could mean this folder
    monkeypatch.chdir(tmp_path)
    for command in ("evaluate", "batch"):
        result = run(command, path, *(("--format", "json") if command == "evaluate" else ()))
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["ladder"]["id"] == "startup"


def test_the_default_ladder_is_compiled_once_whether_a_packet_names_it_or_not():
    from promoready.cli._common import Ladders

    ladders = Ladders(None)
    assert ladders.evaluator_for(None) is ladders.evaluator_for("product-management")
    assert ladders.evaluator_for("startup") is not ladders.evaluator_for(None)


def test_schema_command():
    for name in ("packet", "decision", "ladder"):
        schema = json.loads(run("schema", name).stdout)
        assert schema["$schema"].endswith("2020-12/schema")
        assert schema["type"] == "object"
    packet = json.loads(run("schema", "packet").stdout)
    assert "current_level" in packet["required"] and "reviews" in packet["properties"]


def test_version():
    out = run("--version").stdout
    assert out.startswith("promoready 0.1.0, default ladder product-management 2026.11.0")


def test_python_dash_m_and_streams():
    proc = subprocess.run([PY, "-m", "promoready", "evaluate", EXAMPLE, "--format", "json"], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 0 and json.loads(proc.stdout)["candidate_id"] == "emp-2071"
    proc = subprocess.run([PY, "-m", "promoready", "evaluate", "missing.yaml"], capture_output=True, text=True)
    assert proc.returncode == 2 and "no such file" in proc.stderr.lower() and "Traceback" not in proc.stderr


def test_help_does_not_import_the_engine():
    code = "import sys; from promoready.cli import main; print(sorted(m for m in ('durable_rules_engine', 'rich', 'pydantic') if m in sys.modules))"
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip() == "[]"


def test_every_command_has_help_with_an_example():
    for args in (["evaluate"], ["explain"], ["batch"], ["ladder"], ["ladder", "show"], ["ladder", "test"],
                 ["ladder", "validate"], ["ladder", "list"], ["schema"]):
        result = run(*args, "--help")
        assert result.exit_code == 0, args
        assert "Example" in result.stdout, args


def test_custom_ladder_by_editing_yaml_only(tmp_path):
    """The walk-through of docs/ladders.md: copy, rename, change a threshold, add a criterion, test."""
    import shutil

    folder = tmp_path / "acme"
    shutil.copytree(os.path.join(ROOT, "rules", "product-management"), folder)
    head = folder / "ladder.yaml"
    head.write_text(head.read_text().replace("ladder: product-management", "ladder: acme").replace(
        "measures:\n", "measures:\n  design_reviews:\n    count: artifacts\n"
        "    where: {kind: framework, adopted_by_teams: {gte: 1}}\n    title: design reviews run\n", 1))
    step = folder / "senior-pm-to-director.yaml"
    step.write_text(step.read_text().replace(
        "gte: {by_org_size: {startup: 5, growth: 7, enterprise: 10}}", "gte: 8") + """\
  - id: runs-a-design-review
    title: Runs the product area's design review
    required: false
    rationale: Our directors own design quality across teams.
    source: {file: acme-handbook.md, section: Director expectations}
    condition: {measure: design_reviews, gte: 6}
    text: {pass: Yes., fail: Run the design review., unknown: Add design reviews.}
""")
    assert run("ladder", "validate", str(folder)).exit_code == 0
    result = run("ladder", "test", str(folder))
    assert result.exit_code == 1
    assert "product-experience: expected pass, got fail (actual: 6 years)" in result.stdout
    assert "runs-a-design-review: expected pass, got fail" in result.stdout
    assert result.stdout.rstrip().endswith("31 passed, 3 failed")
    shown = json.loads(run("ladder", "show", "senior-pm-to-director", "--ladder", str(folder), "--format", "json").stdout)
    assert shown["id"] == "acme"
    assert shown["transitions"][0]["criteria"][-1]["expected"] == "≥ 6 design reviews run"


@pytest.mark.parametrize("change, message", [
    ("reviews.rating=meets", "reviews is a list, so it has no field 'rating' (name an item: reviews[0].rating)"),
    ("experience.product_years.x=1", "experience.product_years is a number, so it has no field 'x'"),
    ("reviews[0].start.y=1", "reviews[0].start is text, so it has no field 'y'"),
    ("reviews[5].rating=meets", "reviews has no item [5] (it has 2)"),
    ("candidate.id[0]=x", "candidate.id is not a list, so it has no item [0]"),
    ("candidate+=1", "candidate is not a list"),
])
def test_what_if_bad_paths_are_usage_errors(change, message):
    """Regression: a --set path that stepped into a list, a number or text raised a TypeError traceback."""
    result = run("evaluate", EXAMPLE, "--format", "json", "--set", change)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"promoready: --set: {message}")
    assert len(result.stderr.splitlines()) == 1


def test_what_if_creates_absent_parent_sections(tmp_path):
    packet = dict(TINY_PACKET)
    packet.pop("organization")
    packet["experience"] = {"product_years": 3, "current_level_since": "2024-01-01"}
    path = write(tmp_path, "p.json", packet)
    out = json.loads(run("evaluate", path, "--ladder", TINY, "--format", "json",
                         "--set", "organization.size=startup").stdout)
    # 3 years: unknown without a size (2 to 4 by size), a pass for a startup (2).
    assert {"id": "experience", "title": "Years by organisation size", "before": "unknown", "after": "pass"} \
        in out["what_if"]["changed"]


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
