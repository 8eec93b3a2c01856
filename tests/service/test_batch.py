"""POST /v1/evaluate/batch in process: NDJSON in and out, keyed by the caller's ids, a bad line answered in
its own line without stopping the stream, and the decisions the library's bytes."""

from __future__ import annotations

import json

from promoready.engine import errors
from promoready.service import Settings

from service_support import Client, FaultyRegistry, case_packets, client, example_packet, library, make_client

NDJSON = {"content-type": "application/x-ndjson"}


def lines(response) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(row) for row in response.content.splitlines()]


def test_each_line_is_answered_in_order_with_its_id_and_its_own_decision_id(client: Client):
    packets = case_packets()[:6]
    body = "\n".join(json.dumps({"id": f"item-{i}", "packet": p}) for i, (_, p) in enumerate(packets)) + "\n"
    response = client.post("/v1/evaluate/batch", content=body, headers=NDJSON)
    answers = lines(response)
    assert [a["id"] for a in answers] == [f"item-{i}" for i in range(len(packets))]
    assert [a["line"] for a in answers] == list(range(1, len(packets) + 1))
    assert len({a["decision_id"] for a in answers}) == len(packets)
    rows = response.content.splitlines()
    for (_, packet), row in zip(packets, rows):
        assert b',"decision":' + library(packet) + b',"provenance":' in row  # the library's bytes, unchanged


def test_a_bad_line_is_answered_in_its_line_and_the_stream_goes_on(client: Client):
    good = example_packet()
    bad_level = {**good, "current_level": "seniorpm"}
    body = "\n".join([
        json.dumps({"id": "a", "packet": good}),
        "{not json",
        "",
        json.dumps({"id": 7, "packet": bad_level}),
        json.dumps({"id": "d", "packet": good, "extra": 1}),
        json.dumps(good),  # a bare packet: answered with a null id
        "[1]",
    ])  # no final newline: the last line still counts
    answers = lines(client.post("/v1/evaluate/batch", content=body, headers=NDJSON))
    assert [(a["id"], a["line"], a["status"]) for a in answers] == [
        ("a", 1, 200), (None, 2, 400), (7, 4, 422), ("d", 5, 400), (None, 6, 200), (None, 7, 422)]
    assert answers[1]["problem"]["code"] == errors.INPUT_JSON and answers[1]["problem"]["line"] == 2
    assert answers[2]["problem"]["code"] == errors.PACKET_UNKNOWN_LEVEL
    assert answers[2]["problem"]["path"] == "current_level" and "senior-pm" in answers[2]["problem"]["suggestion"]
    assert answers[3]["problem"]["code"] == errors.SERVICE_INVALID and answers[3]["problem"]["path"] == "extra"
    assert answers[5]["problem"]["code"] == errors.PACKET_SHAPE
    assert answers[0]["decision"] == answers[4]["decision"]


def test_limits_end_the_stream_with_a_last_problem_line():
    small = make_client(Settings(max_body=2048, max_batch_items=2))
    try:
        good = json.dumps({"id": "ok", "packet": example_packet()})
        assert len(good) < 2048
        huge = json.dumps({"id": "big", "packet": {**example_packet(), "padding": "x" * 5000}})
        body = "\n".join([good, huge, good, good, good]).encode()

        async def in_small_chunks():
            for start in range(0, len(body), 100):
                yield body[start:start + 100]

        for content in (body, in_small_chunks()):
            answers = lines(small.post("/v1/evaluate/batch", content=content, headers=NDJSON))
            assert [(a["line"], a["status"]) for a in answers] == [(1, 200), (2, 413), (3, 200), (4, 413)]
            assert answers[1]["problem"]["code"] == errors.INPUT_TOO_LARGE
            assert answers[3]["problem"]["code"] == errors.SERVICE_TOO_MANY_ITEMS  # item 3 of at most 2
    finally:
        small.close()


def test_a_batch_of_another_content_type_is_refused_before_streaming(client: Client):
    response = client.post("/v1/evaluate/batch", content=b"{}", headers={"content-type": "application/json"})
    assert response.status_code == 415
    assert response.json()["code"] == errors.SERVICE_CONTENT_TYPE


def test_as_of_applies_to_every_item(client: Client):
    body = json.dumps({"id": "x", "packet": example_packet()}) + "\n"
    answers = lines(client.post("/v1/evaluate/batch", content=body, headers=NDJSON, params={"as_of": "2027-01-31"}))
    assert answers[0]["decision"]["as_of"] == "2027-01-31"


def _boom(loaded) -> None:
    """A fault as a bug would raise on one packet (candidate id ``boom``) and not on the others."""
    if loaded.packet.candidate.id == "boom":
        raise ZeroDivisionError("private detail")


def test_an_internal_fault_on_one_item_is_a_500_line_and_the_stream_goes_on():
    from promoready.service import create_app

    c = Client(create_app(Settings(), FaultyRegistry(_boom)))
    try:
        good = example_packet()
        boom = {**good, "candidate": {"id": "boom"}}
        body = "\n".join(json.dumps({"id": i, "packet": p}) for i, p in (("1", good), ("2", boom), ("3", good)))
        answers = lines(c.post("/v1/evaluate/batch", content=body, headers=NDJSON))
        assert [(a["id"], a["status"]) for a in answers] == [("1", 200), ("2", 500), ("3", 200)]
        assert answers[1]["problem"]["code"] == errors.ENGINE_INTERNAL
        assert "private detail" not in json.dumps(answers[1])
    finally:
        c.close()


def test_a_line_the_careful_reading_refuses_keeps_its_id_when_the_id_is_plain(client: Client):
    good = json.dumps(example_packet())
    surrogate = good.replace('"candidate": {', '"candidate": {"note": "\\ud800", ', 1)
    assert surrogate != good
    body = "\n".join([
        '{"id": "s", "packet": ' + surrogate + '}',  # a lone surrogate inside the packet
        '{"id": 9, "packet": ' + good[:-1] + ', "current_level": "pm"}}',  # a key given twice in the packet
        '{"id": "n", "packet": ' + good[:-1] + ', "x": NaN}}',  # NaN
        '{"id": "a", "id": "b", "packet": ' + good + '}',  # which id? none is echoed
        '{"id": "\\udc00", "packet": ' + surrogate + '}',  # an id that cannot be written back
        '{"packet": ' + surrogate + '}',  # no id
    ])
    utf16 = ('{"id": "w", "packet": ' + good + '}').encode("utf-16")  # not UTF-8: nothing of it is read back
    answers = lines(client.post("/v1/evaluate/batch", content=body.encode("utf-8") + b"\n" + utf16, headers=NDJSON))
    assert [(a["id"], a["line"]) for a in answers] == [("s", 1), (9, 2), ("n", 3), (None, 4), (None, 5), (None, 6),
                                                       (None, 7)]
    assert [a["problem"]["code"] for a in answers] == [errors.INPUT_ENCODING, errors.INPUT_DUPLICATE_KEY,
                                                       errors.INPUT_NOT_A_NUMBER, errors.INPUT_DUPLICATE_KEY,
                                                       errors.INPUT_ENCODING, errors.INPUT_ENCODING, errors.INPUT_ENCODING]


def test_a_batch_with_no_items_is_a_400_input_empty_as_an_empty_evaluate_is(client: Client):
    for body in (b"", b"\n", b"  \n\n \r\n\t\n"):
        response = client.post("/v1/evaluate/batch", content=body, headers=NDJSON)
        assert response.status_code == 400, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == errors.INPUT_EMPTY and "no items" in response.json()["detail"]
    # Blank lines before the first item are read ahead, and the item is still answered with its line.
    answers = lines(client.post("/v1/evaluate/batch", content="\n\n" + json.dumps({"id": "x", "packet": example_packet()}),
                                headers=NDJSON))
    assert [(a["id"], a["line"], a["status"]) for a in answers] == [("x", 3, 200)]


def test_a_misspelt_item_is_answered_as_an_item_with_its_id_and_the_field_named(client: Client):
    good = example_packet()
    body = "\n".join(json.dumps(row) for row in [
        {"id": "e", "pakcet": good},  # was taken for a bare packet: id dropped, 'candidate: is required'
        {"id": "f"},
        {"pakcet": good},
        {"id": 5, "packet": good},  # a whole number is echoed as the number it is
        {"id": 1.5, "packet": good},
        {**good, "id": "z"},  # a bare packet with a stray `id` is still a bare packet
    ])
    answers = lines(client.post("/v1/evaluate/batch", content=body, headers=NDJSON))
    assert [(a["id"], a["line"], a["status"]) for a in answers] == [
        ("e", 1, 400), ("f", 2, 400), (None, 3, 400), (5, 4, 200), (None, 5, 400), (None, 6, 200)]
    typo = answers[0]["problem"]
    assert (typo["code"], typo["path"], typo["suggestion"]) == (errors.SERVICE_INVALID, "pakcet", "'packet'")
    assert "unknown field 'pakcet' (did you mean 'packet'?)" in typo["detail"]
    assert (answers[1]["problem"]["path"], answers[2]["problem"]["path"]) == ("packet", "pakcet")
    assert "is required" in answers[1]["problem"]["detail"]
    assert answers[4]["problem"]["path"] == "id" and "whole number, got 1.5" in answers[4]["problem"]["detail"]


def test_a_packet_problem_is_named_inside_the_packet_whether_it_was_refused_reading_or_validating(client: Client):
    good = json.dumps(example_packet())
    nan = good[:-1] + ', "signals": {"x": NaN}}'
    body = "\n".join([
        '{"id": "n", "packet": ' + nan + '}',  # refused while reading the line: was packet.signals.x
        nan,  # the same, bare
        json.dumps({"id": "v", "packet": {**example_packet(), "current_level": "seniorpm"}}),  # refused validating
        '{"id": "i", "packet": 1, "x": NaN}',  # the item's own key is named as it is
    ])
    answers = lines(client.post("/v1/evaluate/batch", content=body, headers=NDJSON))
    problems = [a["problem"] for a in answers]
    assert [(a["id"], p["code"], p["path"]) for a, p in zip(answers, problems)] == [
        ("n", errors.INPUT_NOT_A_NUMBER, "signals.x"), (None, errors.INPUT_NOT_A_NUMBER, "signals.x"),
        ("v", errors.PACKET_UNKNOWN_LEVEL, "current_level"), ("i", errors.INPUT_NOT_A_NUMBER, "x")]
    assert ": signals.x: " in problems[0]["detail"] and "packet." not in problems[0]["detail"]


def test_an_items_id_is_echoed_as_the_json_value_it_was_given(client: Client):
    # A review tool matches answers to its items by the id it sent: a number answered as text ("7") matched
    # nothing in a map keyed by 7, and could not be told from the text id "7" in the same batch.
    good = example_packet()
    ids = [7, "7", 0, -3, 12345678901234567890, "x"]
    rows = [json.dumps({"id": item_id, "packet": good}) for item_id in ids]
    rows.append('{"id": 9, "packet": ' + json.dumps(good)[:-1] + ', "x": NaN}}')  # refused while read: id kept
    rows.append(json.dumps({"id": 11, "packet": {**good, "current_level": "seniorpm"}}))  # refused validating
    answers = lines(client.post("/v1/evaluate/batch", content="\n".join(rows), headers=NDJSON))
    assert [a["status"] for a in answers] == [200] * len(ids) + [400, 422]
    echoed = [a["id"] for a in answers]
    assert echoed == [*ids, 9, 11] and [type(i) for i in echoed] == [type(i) for i in [*ids, 9, 11]]
    by_id = {a["id"]: a for a in answers}
    assert by_id[7]["line"] == 1 and by_id["7"]["line"] == 2


def test_an_id_over_200_characters_is_a_problem_naming_id_never_echoed_cut_short(client: Client):
    # It was echoed cut to its first 200 characters: a client keying its items by id found no answer for it,
    # or, with two long ids alike in their first 200, the same answer for both.
    good = example_packet()
    longest, longer = "a" * 200, "a" * 200 + "b"
    rows = [json.dumps({"id": item_id, "packet": good}) for item_id in (longest, longer, "x")]
    answers = lines(client.post("/v1/evaluate/batch", content="\n".join(rows), headers=NDJSON))
    assert [(a["id"], a["line"], a["status"]) for a in answers] == [(longest, 1, 200), (None, 2, 400), ("x", 3, 200)]
    problem = answers[1]["problem"]
    assert (problem["code"], problem["path"]) == (errors.SERVICE_INVALID, "id")
    assert "an item's id is at most 200 characters, got 201" in problem["detail"]
