"""POST /v1/evaluate and /v1/what-if in process: decisions byte-identical to the library's, and every error
as a problem detail with the catalogue's code and status, the field path, the body line and a suggestion."""

from __future__ import annotations

import datetime
import json

import pytest

from promoready.engine import errors
from promoready.engine.whatif import what_if
from promoready.service import Settings

from service_support import Client, case_packets, client, example_packet, example_text, library, make_client
from service_support import shared_evaluator

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str, *, path: str | None = None, line: int | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["code"] == code, body
    assert body["title"] == errors.CATALOGUE[code].meaning
    assert body["type"].endswith("/" + code)
    assert f"[{code}]" in body["detail"]
    assert "Traceback" not in response.text and ".py" not in response.text
    if path is not None:
        assert body["path"] == path, body
    if line is not None:
        assert body["line"] == line, body
    return body


@pytest.mark.parametrize("name,packet", case_packets(), ids=[n for n, _ in case_packets()])
def test_a_decision_over_http_is_the_library_decision_byte_for_byte(client: Client, name: str, packet: dict):
    response = client.post("/v1/evaluate", json=packet)
    assert response.status_code == 200, response.text
    expected = library(packet)
    assert response.content.startswith(expected[:-1] + b',"decision_id":"')
    body = response.json()
    assert set(body) - set(json.loads(expected)) == {"decision_id", "provenance"}
    assert body["provenance"]["ladder"] == json.loads(expected)["ladder"]
    assert body["provenance"]["durable_rules"] == "2.0.28"


def test_yaml_by_content_type_gives_the_json_decision(client: Client):
    as_json = client.post("/v1/evaluate", json=example_packet())
    as_yaml = client.post("/v1/evaluate", content=example_text(), headers={"content-type": "application/yaml"})
    assert as_yaml.status_code == as_json.status_code == 200
    first, second = as_json.json(), as_yaml.json()
    assert first.pop("decision_id") != second.pop("decision_id")  # each decision has its own id
    assert first == second


def test_as_of_and_explain(client: Client):
    packet = example_packet()
    plain = client.post("/v1/evaluate", json=packet, params={"as_of": "2027-06-01"})
    assert plain.json()["as_of"] == "2027-06-01"
    assert plain.content.startswith(library(packet, datetime.date(2027, 6, 1))[:-1])
    assert "explanation" not in plain.json()
    fails = client.post("/v1/evaluate", json=packet, params={"explain": "fails"}).json()
    full = client.post("/v1/evaluate", json=packet, params={"explain": "full"}).json()
    statuses = [c["status"] for c in fails["criteria"]]
    assert "pass" in statuses and {"fail", "unknown"} & set(statuses)  # the example has both kinds
    assert [c["status"] for c in fails["explanation"]["criteria"]] == sorted(
        (s for s in statuses if s != "pass"), key=["fail", "unknown"].index)
    assert len(full["explanation"]["criteria"]) == len(full["criteria"])
    assert fails["explanation"]["mode"] == "fails" and "#" in fails["explanation"]["markdown"]


@pytest.mark.parametrize("params,path", [({"as_of": "2026-13-01"}, "as_of"), ({"explain": "some"}, "explain")])
def test_a_bad_parameter_is_a_400_problem_naming_it(client: Client, params: dict, path: str):
    response = client.post("/v1/evaluate", json=example_packet(), params=params)
    assert_problem(response, 400, errors.SERVICE_PARAMETER, path=path)


@pytest.mark.parametrize("value, detail", [
    # pydantic's own date reading took a number as a Unix time (0 was 1970-01-01) and a date with a time of
    # day; Python 3.11+ an ISO week date: as_of is a day written YYYY-MM-DD, as on the command line and in a packet
    ("0", "expected a date as YYYY-MM-DD, got '0'"),
    ("1764547200", "expected a date as YYYY-MM-DD, got '1764547200'"),
    ("2026-11-01T00:00:00", "expected a date as YYYY-MM-DD, got '2026-11-01T00:00:00'"),
    ("2026-W44-7", "expected a date as YYYY-MM-DD, got '2026-W44-7'"),
    ("2026-13-01", "not a calendar date: 2026-13-01 (months are 01 to 12, not 13)"),
    ("2026-11-01\n", "expected a date as YYYY-MM-DD, got '2026-11-01\\n'"),  # was "not a calendar date" and a raw newline
])
def test_as_of_is_a_day_written_yyyy_mm_dd_on_every_endpoint(client: Client, value: str, detail: str):
    packet = example_packet()
    for endpoint, body in (("/v1/evaluate", packet), ("/v1/evaluate/batch", packet),
                           ("/v1/what-if", {"packet": packet, "changes": ["experience.product_years=10"]})):
        response = client.post(endpoint, params={"as_of": value}, content=json.dumps(body).encode(),
                               headers={"content-type": "application/x-ndjson" if endpoint.endswith("batch")
                                        else "application/json"})
        body = assert_problem(response, 400, errors.SERVICE_PARAMETER, path="as_of")
        assert body["detail"] == f"as_of: {detail} [service.parameter]"


@pytest.mark.parametrize("query,path,suggestion", [
    ("explian=fails", "explian", "'explain'"),  # unknown: was ignored, a 200 without the explanation
    ("explain=fails&asof=2027-01-31", "asof", "'as_of'"),
    ("verbose=1", "verbose", None),
    ("as_of=2027-01-31&as_of=2028-01-01", "as_of", None),  # repeated: the last one won
    ("explain=fail", "explain", "'fails'"),  # a near miss of a value: was no suggestion
])
def test_an_unknown_repeated_or_near_miss_parameter_is_a_400_naming_it(client: Client, query: str, path: str,
                                                                       suggestion: str | None):
    body = assert_problem(client.post(f"/v1/evaluate?{query}", json=example_packet()), 400, errors.SERVICE_PARAMETER,
                          path=path)
    assert body["suggestion"] == suggestion
    if "unknown" in body["detail"]:
        assert "this endpoint takes explain, as_of" in body["detail"]


def test_query_parameters_are_checked_on_every_v1_endpoint_and_not_on_the_probes(client: Client):
    body = assert_problem(client.get("/v1/schemas/pakcet"), 400, errors.SERVICE_PARAMETER, path="name")
    assert body["suggestion"] == "'packet'"
    assert "takes none" in assert_problem(client.get("/v1/ladders?id=x"), 400, errors.SERVICE_PARAMETER,
                                          path="id")["detail"]
    batch = client.post("/v1/evaluate/batch?asof=2027-01-31", content=b"{}", headers={"content-type": "application/x-ndjson"})
    assert assert_problem(batch, 400, errors.SERVICE_PARAMETER, path="asof")["suggestion"] == "'as_of'"
    assert client.get("/health/live?probe=1").status_code == 200
    assert client.get("/v1/schemas/packet").status_code == 200


def test_a_bad_packet_is_a_422_with_path_line_and_suggestion(client: Client):
    text = example_text().replace("rating: exceeds, operating_level: director}",
                                  "rating: exceeds, operating_level: directer}")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "directer" in row)
    response = client.post("/v1/evaluate", content=text, headers={"content-type": "application/yaml"})
    body = assert_problem(response, 422, errors.PACKET_UNKNOWN_LEVEL, path="reviews[1].operating_level", line=line)
    assert "director" in body["suggestion"]
    wrong = client.post("/v1/evaluate", json={**example_packet(), "reviews": [{"start": "2026-05-01",
                                                                                  "end": "2026-01-01"}]})
    assert_problem(wrong, 422, errors.PACKET_END_BEFORE_START, path="reviews[0].end")


@pytest.mark.parametrize("body,ctype,status,code,line", [
    (b'{"candidate": {"id": "x"},\n "current_level": }', "application/json", 400, errors.INPUT_JSON, 2),
    (b"a: &x 1\nb: *x\n", "application/yaml", 400, errors.INPUT_YAML_ALIAS, 2),
    (b"a: !!python/object:os.system 1\n", "application/yaml", 400, errors.INPUT_YAML_TAG, 1),
    (b'{"a": 1, "a": 2}', "application/json", 400, errors.INPUT_DUPLICATE_KEY, None),
    (b"   ", "application/json", 400, errors.INPUT_EMPTY, None),
    (b"[" * 100 + b"]" * 100, "application/json", 400, errors.INPUT_TOO_DEEP, None),
    (b"\xff\xfe", "application/json", 415, errors.INPUT_ENCODING, None),
    (b"[1, 2]", "application/json", 422, errors.PACKET_SHAPE, None),
    (b"{}", "text/plain", 415, errors.SERVICE_CONTENT_TYPE, None),
])
def test_unreadable_bodies_are_problems(client: Client, body: bytes, ctype: str, status: int, code: str, line):
    assert_problem(client.post("/v1/evaluate", content=body, headers={"content-type": ctype}), status, code, line=line)


def test_a_body_over_the_limit_is_a_413_with_or_without_content_length():
    small = make_client(Settings(max_body=2048))
    try:
        big = json.dumps({**example_packet(), "padding": "x" * 4000})
        assert_problem(small.post("/v1/evaluate", content=big, headers={"content-type": "application/json"}),
                       413, errors.INPUT_TOO_LARGE)

        async def chunks():
            for _ in range(10):
                yield b" " * 400

        assert_problem(small.post("/v1/evaluate", content=chunks()), 413, errors.INPUT_TOO_LARGE)
        assert small.post("/v1/evaluate", json=example_packet()).status_code == 200
    finally:
        small.close()


def test_what_if_gives_both_decisions_and_the_criteria_that_flip(client: Client):
    packet = example_packet()
    changes = ["experience.product_years=0.5", 'advocates+={"level": "vp", "committed": true}']
    response = client.post("/v1/what-if", json={"packet": packet, "changes": changes})
    assert response.status_code == 200, response.text
    body = response.json()
    expected = what_if(shared_evaluator(None), packet, changes)
    assert body["before"] == json.loads(expected.before.to_json())
    assert body["after"] == json.loads(expected.after.to_json())
    assert response.content.endswith(b',"before":' + expected.before.to_json_bytes() + b',"after":'
                                     + expected.after.to_json_bytes() + b"}")
    assert body["flipped"] == [{"id": s.id, "title": s.title, "before": s.before, "after": s.after}
                               for s in expected.changed]
    assert body["flipped"], "the example must flip something for this test to mean anything"
    assert body["changes"] == changes and body["verdict_after"] == expected.after.verdict


def test_what_if_errors_name_the_change_or_the_packet_field(client: Client):
    packet = example_packet()
    bad = client.post("/v1/what-if", json={"packet": packet, "changes": ["experience.product_years=10", "no equals sign"]})
    assert_problem(bad, 400, errors.USAGE_SET, path="changes[1]")
    assert_problem(client.post("/v1/what-if", json={"packet": packet}), 400, errors.SERVICE_INVALID, path="changes")
    typo = client.post("/v1/what-if", json={"packet": packet, "changes": ["experience.product_years=10"], "chnages": []})
    assert assert_problem(typo, 400, errors.SERVICE_INVALID, path="chnages")["suggestion"] == "'changes'"
    text = json.dumps({"packet": {**packet, "current_level": "seniro-pm"}, "changes": ["experience.product_years=10"]}, indent=1)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "seniro" in row)
    wrong = client.post("/v1/what-if", content=text, headers={"content-type": "application/json"})
    assert_problem(wrong, 422, errors.PACKET_UNKNOWN_LEVEL, path="packet.current_level", line=line)
    misspelt = client.post("/v1/what-if", json={"packet": packet, "changes": ["leadership.mentess=3"]})
    assert assert_problem(misspelt, 400, errors.USAGE_SET, path="changes[0]")["suggestion"] == "'leadership.mentees'"
    breaks = client.post("/v1/what-if", json={"packet": packet, "changes": ["experience.product_years=-3"]})
    assert_problem(breaks, 422, errors.PACKET_GREATER_THAN_EQUAL, path="packet.experience.product_years")


def test_every_problem_of_a_what_if_packet_is_named_under_packet(client: Client):
    packet = {**example_packet(), "current_level": "seniorpm"}
    packet["experience"] = {**packet["experience"], "product_years": -1}
    body = client.post("/v1/what-if", json={"packet": packet, "changes": ["leadership.mentees=3"]}).json()
    assert len(body["problems"]) == 2
    assert (body["path"], body["detail"]) == (body["problems"][0]["path"], body["problems"][0]["detail"])
    assert [p["path"] for p in body["problems"]] == ["packet.experience.product_years", "packet.current_level"]
    assert all(f": {p['path']}: " in p["detail"] for p in body["problems"])


def test_a_packet_cannot_make_the_service_read_a_ladder_from_a_path(client: Client):
    response = client.post("/v1/evaluate", json={**example_packet(), "ladder": "/etc/promoready/ladder.yaml"})
    assert_problem(response, 422, errors.PACKET_LADDER_NOT_ALLOWED, path="ladder")


def test_json_bodies_read_in_one_pass_or_carefully_give_the_same_problems(client: Client):
    # /v1/evaluate reads a JSON body in one pass when it surely can; a body it cannot (a repeated key,
    # an unknown level) gets the careful reading's problem, with its line in the body.
    text = json.dumps(example_packet(), indent=1)
    typo = text.replace('"operating_level": "director"', '"operating_level": "directer"', 1)
    line = next(i for i, row in enumerate(typo.splitlines(), 1) if "directer" in row)
    body = assert_problem(client.post("/v1/evaluate", content=typo, headers={"content-type": "application/json"}),
                          422, errors.PACKET_UNKNOWN_LEVEL, line=line)
    assert "director" in body["suggestion"]
    twice = text.replace('"as_of": ', '"as_of": "2026-01-01",\n "as_of": ', 1)
    assert twice != text
    assert_problem(client.post("/v1/evaluate", content=twice, headers={"content-type": "application/json"}),
                   400, errors.INPUT_DUPLICATE_KEY)
    fine = client.post("/v1/evaluate", content=text, headers={"content-type": "application/json"})
    assert fine.status_code == 200 and fine.content.startswith(library(example_packet())[:-1])
