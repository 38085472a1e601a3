"""manage.py import_incidents FILE.json: a feed dumped to disk, idempotent by external id,
refused whole (naming the JSON path of each error) when anything is wrong."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from incidents.models import Incident

pytestmark = pytest.mark.django_db


def entry(**overrides):
    return {
        "title": "Flooding on the Ural river",
        "severity": "warning",
        "category": "natural_hazards",
        "country": "KZ",
        "places": ["Almaty"],
        "starts_on": "2027-03-10",
        "source": "gdacs",
        "external_id": "fl-1",
        **overrides,
    }


def write(tmp_path, data) -> str:
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_it_imports_and_a_second_run_updates_instead_of_duplicating(kz, tmp_path, capsys):
    path = write(tmp_path, [entry(), entry(external_id="fl-2", places=[])])
    call_command("import_incidents", path)
    assert "2 incidents created, 0 updated." in capsys.readouterr().out
    path = write(tmp_path, [entry(severity="critical"), entry(external_id="fl-2", places=[])])
    call_command("import_incidents", path)
    assert "0 incidents created, 2 updated." in capsys.readouterr().out
    assert Incident.objects.count() == 2
    assert Incident.objects.get(external_id="fl-1").severity == "critical"
    assert Incident.objects.get(external_id="fl-1").created_by is None


def test_errors_name_their_json_path_and_nothing_is_written(kz, tmp_path):
    path = write(
        tmp_path,
        [
            entry(),
            entry(external_id="fl-2", places=["Atlantis"]),
            entry(external_id="", title="x"),
            entry(external_id="fl-4", starts_on="soon"),
        ],
    )
    with pytest.raises(CommandError) as error:
        call_command("import_incidents", path)
    message = str(error.value)
    assert "nothing was written" in message
    assert "[1].places: 'Atlantis' is not a curated place of Kazakhstan." in message
    assert "[2].external_id: required" in message
    assert "[3].starts_on:" in message
    assert not Incident.objects.exists()


def test_a_file_that_is_not_a_list_is_refused(kz, tmp_path):
    with pytest.raises(CommandError, match="expected a list"):
        call_command("import_incidents", write(tmp_path, entry()))


def test_a_file_that_is_not_json_is_refused(kz, tmp_path):
    path = tmp_path / "feed.json"
    path.write_text("{nope", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import_incidents", str(path))
