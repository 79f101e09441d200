"""Contacts: phones matched in E.164 whatever their written form; CSV import; the API."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from cdrhub.crm import contacts as repo
from cdrhub.crm.csv_import import import_contacts, parse_contacts_csv
from cdrhub.store.engine import write_transaction
from tests.crm.conftest import API

NOW = datetime(2024, 1, 1)
SPELLINGS = ["0501234567", "972501234567", "+972-50-123-4567", "00972 50 123 4567", "050-1234567"]


@pytest.mark.parametrize("written", SPELLINGS)
def test_a_contact_is_found_by_any_spelling_of_its_number(engine: Engine, written: str) -> None:
    with write_transaction(engine) as conn:
        repo.save_contact(
            conn, repo.ContactInput(name="Dana", phones=(written,)), region="IL", now=NOW
        )
    with engine.connect() as conn:
        for other in SPELLINGS:
            from cdrhub.calls.phones import to_e164

            found = repo.contacts_for_phone(conn, to_e164(other) or "")
            assert [c["name"] for c in found] == ["Dana"], other
            assert found[0]["phones"] == [{"e164": "+972501234567", "raw": written}]


def test_save_merges_on_phone_or_external_id(engine: Engine) -> None:
    with write_transaction(engine) as conn:
        first, created = repo.save_contact(
            conn,
            repo.ContactInput(name="Dana", phones=("0501234567",), external_ids={"hubspot": "11"}),
            region="IL",
            now=NOW,
        )
        assert created
        same, created = repo.save_contact(
            conn,
            repo.ContactInput(
                company="Acme",
                phones=("+972 54 666 6666",),
                external_ids={"HubSpot": "11", "pipedrive": "7"},
            ),
            region="IL",
            now=NOW,
        )
        assert (same, created) == (first, False)
        contact = repo.get_contact(conn, first)
    assert contact is not None
    assert (contact["name"], contact["company"]) == ("Dana", "Acme")
    assert {p["e164"] for p in contact["phones"]} == {"+972501234567", "+972546666666"}
    assert contact["external_ids"] == {"hubspot": "11", "pipedrive": "7"}


def test_invalid_phone_is_refused(engine: Engine) -> None:
    with write_transaction(engine) as conn, pytest.raises(repo.ContactError):
        repo.save_contact(conn, repo.ContactInput(phones=("SIPSIP",)), region="IL", now=NOW)


CSV = (
    "\ufeffFirst Name;Last Name;Company;Mobile Phone;Work phone;HubSpot ID\n"
    "Dana;Cohen;Acme;050-123-4567;+972 3 555 1234 | 0546666666;101\n"
    "Moshe;Levi;;;;\n"
    "Avi;;Beta;+4915112345678;;\n"
)


def test_csv_parsing_semicolons_several_phones_and_ids() -> None:
    rows, errors = parse_contacts_csv(CSV)
    assert errors == [(3, "no phone number and no external id")]
    (line, dana), (_, avi) = rows
    assert line == 2
    assert dana.name == "Dana Cohen" and dana.company == "Acme"
    assert dana.phones == ("050-123-4567", "+972 3 555 1234", "0546666666")
    assert dana.external_ids == {"hubspot": "101"}
    assert avi.phones == ("+4915112345678",)


def test_csv_import_is_repeatable(engine: Engine) -> None:
    first = import_contacts(engine, CSV, region="IL", now=NOW)
    assert (first.created, first.updated, len(first.errors)) == (2, 0, 1)
    again = import_contacts(engine, CSV, region="IL", now=NOW)
    assert (again.created, again.updated) == (0, 2)
    with engine.connect() as conn:
        assert len(repo.list_contacts(conn)) == 2
        assert repo.contacts_for_phone(conn, "+97235551234")[0]["name"] == "Dana Cohen"


def test_contacts_api(api: TestClient) -> None:
    body = {"name": "Dana", "phones": ["0501234567"], "external_ids": {"pipedrive": "5"}}
    assert api.post("/api/contacts", json=body).status_code == 401
    created = api.post("/api/contacts", json=body, headers=API)
    assert created.status_code == 201
    contact = created.json()["contact"]
    assert contact["phones"] == [{"e164": "+972501234567", "raw": "0501234567"}]
    again = api.post(
        "/api/contacts", json={"company": "Acme", "phones": ["+972501234567"]}, headers=API
    )
    assert again.status_code == 200 and again.json()["contact"]["id"] == contact["id"]
    found = api.get("/api/contacts", params={"phone": "972-50-1234567"}, headers=API).json()
    assert [c["company"] for c in found["contacts"]] == ["Acme"]
    bad = api.post("/api/contacts", json={"phones": ["not a number"]}, headers=API)
    assert bad.status_code == 422
    assert api.get(f"/api/contacts/{contact['id']}", headers=API).json()["name"] == "Dana"
    assert api.delete(f"/api/contacts/{contact['id']}", headers=API).status_code == 204
    assert api.get(f"/api/contacts/{contact['id']}", headers=API).status_code == 404


def test_contacts_import_command(tmp_path, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from cdrhub.cli import app

    path = tmp_path / "contacts.csv"
    path.write_text(CSV, encoding="utf-8")
    monkeypatch.setenv("CDRHUB_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(app, ["contacts", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 1 skipped" in result.output


def test_crm_settings_are_checked(settings) -> None:  # type: ignore[no-untyped-def]
    from cdrhub.config import ConfigError
    from cdrhub.crm.settings import load_crm_settings
    from tests.crm.conftest import with_crm

    crm = load_crm_settings(settings, env={"CDRHUB_HUBSPOT_TOKEN": "t"})
    assert crm.hubspot.enabled and not crm.pipedrive.enabled and not crm.recordings.enabled
    for bad in (
        {"hubspot": {"tokn": "typo"}},
        {"recordings": {"storage": "ftp"}},
        {"recordings": {"storage": "s3"}},
        {"webhooks": [{"name": "a", "url": "u"}, {"name": "a", "url": "v"}]},
        {"hubspot": {"token": "t", "recording_link": "signed"}},  # needs public_url
    ):
        with pytest.raises(ConfigError):
            load_crm_settings(with_crm(settings, **bad), env={})


def test_csv_rows_that_do_not_fit_are_reported(engine: Engine) -> None:
    text = (
        "name,phone,hubspot_id\n"
        f"{'x' * 256},0501234567,\n"
        "Nul\x00,0501234568,\n"
        f"Long id,0501234569,{'7' * 129}\n"
        "Dana,0501234570,\n"
    )
    result = import_contacts(engine, text, region="IL", now=NOW)
    assert (result.created, result.updated) == (1, 0)
    assert result.errors == (
        (2, "name is longer than 255 characters"),
        (3, "NUL characters are not accepted"),
        (4, "an external id is longer than 128 characters (its CRM's name, 32)"),
    )
