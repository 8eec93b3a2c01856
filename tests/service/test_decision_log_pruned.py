"""The service's decision log when its cycle is deleted under it, on SQLite and PostgreSQL: ``cycles prune`` keeps
it unless told otherwise, and a log pruned anyway (``--include-logs``, or deleted by any means) is created
again by the service's writer, which says so in the error log: no later decision is lost."""

from __future__ import annotations

import datetime
import json
import os
import sys

from click.testing import CliRunner

from promoready.cli import main
from promoready.service import Settings, create_app
from promoready.store import open_store

from service_support import Client, example_packet

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "store"))
from storekit import db_url  # noqa: E402,F401  (a fixture, SQLite and PostgreSQL)


def prune(db_url: str, *more: str) -> dict:  # noqa: F811
    tomorrow = datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=1)
    done = CliRunner().invoke(main, ["cycles", "prune", "--before", tomorrow.isoformat(), "--db", db_url,
                                     "--format", "json", *more], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def test_prune_keeps_a_running_services_log_and_one_pruned_anyway_is_created_again(db_url, caplog):  # noqa: F811
    c = Client(create_app(Settings(db=db_url, cycle="svclog")))
    try:
        first = c.post("/v1/evaluate", json=example_packet()).json()["decision_id"]
        assert c.get(f"/v1/decisions/{first}").status_code == 200
        assert prune(db_url) == {"cycles": [], "decisions": 0, "logs_kept": ["svclog"],
                                 "running_kept": [], "dry_run": False}
        assert c.get(f"/v1/decisions/{first}").status_code == 200

        assert prune(db_url, "--include-logs")["cycles"] == ["svclog"]  # said explicitly: the log goes
        with caplog.at_level("WARNING", logger="promoready.service.error"):
            later = [c.post("/v1/evaluate", json=example_packet()).json()["decision_id"] for _ in range(3)]
            # Was: 404 for each, and "lost" counting them until the service was restarted.
            assert [c.get(f"/v1/decisions/{d}").status_code for d in later] == [200, 200, 200]
        assert c.get("/v1/status").json()["decision_log"] == {"cycle": "svclog", "recorded": 4, "lost": 0}
        said = [json.loads(r.getMessage()) for r in caplog.records if r.name == "promoready.service.error"]
        assert [s["event"] for s in said] == ["decision-log-reopened"]
        assert said[0]["cycle"] == "svclog" and "is no longer in the store (pruned or deleted)" in said[0]["reason"]
        with open_store(db_url) as store:
            assert store.cycle("svclog").decisions == 3
    finally:
        c.close()
