"""A packet with several problems over HTTP: one 422 answer carries them all (shape, values, unknown level
names, declared evidence), as the command line reports them in one run. The top-level fields stay the
first problem's (a client reading one error still works) and `problems` lists each."""

from __future__ import annotations

import copy
import json
import os

import yaml

from promoready.engine import errors
from promoready.service import Settings

from service_support import ROOT, Client, client, example_packet, example_text, make_client

PROBLEM = "application/problem+json"
NDJSON = {"content-type": "application/x-ndjson"}
MONZO = os.path.join(ROOT, "examples", "ladders", "monzo-product")
ITEM_KEYS = {"type", "title", "status", "detail", "code", "path", "line", "suggestion"}


def broken_example() -> str:
    """examples/packet.yaml with a negative figure and a misspelt level further down: two problems."""
    text = example_text().replace("rating: exceeds, operating_level: director}",
                                  "rating: exceeds, operating_level: directer}")
    data = yaml.safe_load(text)
    data["experience"]["product_years"] = -1
    return yaml.safe_dump(data, sort_keys=False)


def line_of(text: str, needle: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), 1) if needle in row)


def test_shape_errors_and_unknown_levels_come_in_one_answer(client: Client):
    text = broken_example()
    response = client.post("/v1/evaluate", content=text, headers={"content-type": "application/yaml"})
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    body = response.json()
    problems = body["problems"]
    assert [(p["code"], p["path"]) for p in problems] == [
        (errors.PACKET_GREATER_THAN_EQUAL, "experience.product_years"),
        (errors.PACKET_UNKNOWN_LEVEL, "reviews[1].operating_level")]
    assert problems[1]["line"] == line_of(text, "directer") and problems[1]["suggestion"] == "'director'"
    assert all(set(p) == ITEM_KEYS for p in problems)
    assert all(p["status"] == 422 and p["type"].endswith("/" + p["code"]) for p in problems)
    # The top level is the first problem, as before: one line of detail, not the list.
    assert {k: body[k] for k in ITEM_KEYS} == problems[0]
    assert "\n" not in body["detail"] and "problems in the packet" not in body["detail"]
    assert body["instance"] == "/v1/evaluate" and "more" not in body


def test_two_unknown_levels_are_two_problems_with_the_first_on_top(client: Client):
    packet = {**example_packet(), "current_level": "seniro-pm", "target_level": "directr"}
    body = client.post("/v1/evaluate", json=packet).json()
    assert [p["path"] for p in body["problems"]] == ["current_level", "target_level"]
    assert body["path"] == "current_level" and body["suggestion"] == "'senior-pm'"
    assert body["detail"] == body["problems"][0]["detail"]


def test_an_error_that_is_not_an_invalid_packet_has_no_problems_list(client: Client):
    body = client.post("/v1/evaluate", content=b"[1, 2]", headers={"content-type": "application/json"}).json()
    assert body["code"] == errors.PACKET_SHAPE and "problems" not in body
    refused = client.post("/v1/evaluate", json=example_packet(), params={"as_of": "2026-13-01"}).json()
    assert refused["code"] == errors.SERVICE_PARAMETER and "problems" not in refused


def test_declared_evidence_problems_come_with_the_rest():
    with open(os.path.join(MONZO, "examples", "product-1-to-product-2.yaml"), encoding="utf-8") as fh:
        packet = copy.deepcopy(yaml.safe_load(fh)["cases"][0]["packet"])
    packet["evidence"]["problem_solvng"] = "level-2"  # undeclared: did you mean problem_solving?
    packet["evidence"]["data_skills"] = "level-9"  # not on the scale
    packet["reviews"][0]["operating_level"] = "product-7"  # an unknown level
    packet["scope"]["ambiguity"] = "huge"  # a shape error
    c = make_client(Settings(ladder=MONZO))
    try:
        response = c.post("/v1/evaluate", json=json.loads(json.dumps(packet, default=str)))
    finally:
        c.close()
    assert response.status_code == 422, response.text
    found = {p["path"]: (p["code"], p["suggestion"]) for p in response.json()["problems"]}
    assert found == {
        "reviews[0].operating_level": (errors.PACKET_UNKNOWN_LEVEL, "'product-1' or 'product-2' or 'product-3'"),
        "scope.ambiguity": (errors.PACKET_LITERAL_ERROR, None),
        "evidence.data_skills": (errors.PACKET_LITERAL_ERROR, "'level-1' or 'level-2' or 'level-3'"),
        "evidence.problem_solvng": (errors.PACKET_UNDECLARED_EVIDENCE, "'problem_solving'"),
    }


def test_a_batch_line_s_problem_lists_every_problem(client: Client):
    packet = {**example_packet(), "current_level": "seniro-pm"}
    packet["experience"] = {**packet["experience"], "product_years": -1}
    body = json.dumps({"id": "x", "packet": packet}).encode() + b"\n"
    (answer,) = [json.loads(row) for row in client.post("/v1/evaluate/batch", content=body, headers=NDJSON)
                 .content.splitlines()]
    problem = answer["problem"]
    assert answer["status"] == 422 and {p["path"] for p in problem["problems"]} == {
        "current_level", "experience.product_years"}
    assert all(p["line"] == 1 for p in problem["problems"])  # the stream's line, as the top level says


def test_the_openapi_problem_model_documents_the_list(client: Client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    props = schemas["Problem"]["properties"]
    assert {"problems", "more"} <= set(props)
    assert set(schemas["ProblemItem"]["properties"]) == ITEM_KEYS
