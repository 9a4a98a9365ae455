"""Retention: delete_after follows the last contact; ``iq retention`` erases exactly the due clients."""
from datetime import date

import pytest
from sqlalchemy import select

from app.clients.models import Client
from app.clients.retention import delete_after_for, due_clients
from app.extensions import db
from tests.conftest import logout


@pytest.fixture
def rule(app):
    """Set the retention rule for one test (the app's config, as the environment would)."""
    saved = app.config.get("RETENTION_YEARS"), app.config.get("RETENTION_FROM")

    def apply(years, basis):
        app.config["RETENTION_YEARS"], app.config["RETENTION_FROM"] = years, basis

    yield apply
    app.config["RETENTION_YEARS"], app.config["RETENTION_FROM"] = saved


def test_the_default_is_ten_years_after_the_programme_end(ctx, factories, rule):
    rule(10, "programme_end")
    case = factories.case(opened_on=date(2012, 3, 1))
    factories.contact(case, date=date(2012, 3, 1))
    assert case.client.delete_after == date(2024, 12, 31)


def test_delete_after_follows_the_last_contact_on_every_write(ctx, factories, rule):
    rule(10, "last_contact")
    client = factories.client()
    case = factories.case(client=client, opened_on=date(2012, 3, 1))
    assert client.delete_after == date(2022, 3, 1)  # no contact yet: the opening day
    factories.contact(case, date=date(2012, 3, 1))
    later = factories.contact(case, kind="follow_up", date=date(2013, 2, 28))
    ctx.refresh(client)
    assert client.delete_after == date(2023, 2, 28)
    ctx.delete(later)
    ctx.commit()
    ctx.refresh(client)
    assert client.delete_after == date(2022, 3, 1)
    assert delete_after_for(date(2012, 2, 29)) == date(2022, 2, 28)


def test_delete_after_is_set_through_the_api_too_and_cannot_be_written(client, api_token, factories, ctx, rule):
    rule(10, "last_contact")
    headers = api_token("t_api")
    person = factories.client()
    answer = client.post("/api/v1/case/", headers=headers, json={"client": person.id, "opened_on": "2013-06-03"})
    assert answer.status_code == 201, answer.get_json()
    ctx.expire_all()
    assert ctx.get(Client, person.id).delete_after == date(2023, 6, 3)
    version = ctx.get(Client, person.id).version
    refused = client.put(f"/api/v1/client/{person.id}", headers=headers,
                         json={"delete_after": "2099-01-01", "version": version})
    assert refused.status_code in (400, 422)
    ctx.expire_all()
    assert ctx.get(Client, person.id).delete_after == date(2023, 6, 3)


def _split_rule(rule):
    """Contacts in 2012 are due today, contacts in 2014 are not (whatever today is)."""
    rule(date.today().year - 2013, "last_contact")


def _clients(factories):
    due = factories.case(opened_on=date(2012, 5, 2), closed_on=date(2012, 6, 1))
    factories.contact(due, date=date(2012, 5, 2))
    not_due = factories.case(opened_on=date(2014, 5, 2), closed_on=date(2014, 6, 1))
    factories.contact(not_due, date=date(2014, 5, 2))
    still_open = factories.case(opened_on=date(2012, 5, 3))
    factories.contact(still_open, date=date(2012, 5, 3))
    other_partner = factories.case(partner="agsa", opened_on=date(2012, 5, 4), closed_on=date(2012, 6, 1))
    return due.client, not_due.client, still_open.client, other_partner.client


def _snapshot(ctx):
    ctx.expire_all()
    return [(c.id, c.client_number, c.first_name, c.last_name, c.birth_date, c.erased_at, c.delete_after, c.version)
            for c in ctx.scalars(select(Client).order_by(Client.id))]


def test_dry_run_changes_nothing(app, ctx, factories, rule):
    _split_rule(rule)
    due, _not_due, still_open, _other = _clients(factories)
    before = _snapshot(ctx)
    result = app.test_cli_runner().invoke(args=["iq", "retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"would erase {due.client_number}" in result.output
    assert f"skipped {still_open.client_number}" in result.output and "open cases" in result.output
    assert "nothing was changed" in result.output
    assert _snapshot(ctx) == before


def test_the_run_erases_exactly_the_due_clients(app, ctx, factories, rule):
    _split_rule(rule)
    due, not_due, still_open, other = _clients(factories)
    numbers = {c.id: c.client_number for c in (due, not_due, still_open, other)}
    result = app.test_cli_runner().invoke(args=["iq", "retention"])
    assert result.exit_code == 0, result.output
    ctx.expire_all()
    erased = {c.id for c in ctx.scalars(select(Client).where(Client.erased_at.is_not(None)))}
    assert erased == {due.id, other.id}
    assert f"erased {numbers[due.id]}" in result.output and f"erased {numbers[other.id]}" in result.output
    assert f"skipped {numbers[still_open.id]}" in result.output
    assert "2 clients erased, 1 skipped." in result.output
    assert ctx.get(Client, not_due.id).last_name == not_due.last_name
    from app.clients.erasure import ErasureRequest
    from app.security.models import AuditEvent

    assert {r.source for r in ctx.scalars(select(ErasureRequest))} == {"retention"}
    actors = {e.actor for e in ctx.scalars(select(AuditEvent).where(AuditEvent.action == "erase"))}
    assert actors == {"system"}
    again = app.test_cli_runner().invoke(args=["iq", "retention"])
    assert again.exit_code == 0 and "0 clients erased, 1 skipped." in again.output


def test_the_retention_page_lists_the_due_clients_within_the_scope(login_as, client, ctx, factories, rule):
    _split_rule(rule)
    due, not_due, still_open, other = _clients(factories)
    with db.session.no_autoflush:
        assert {c.id for c, _open in due_clients(ctx)} == {due.id, still_open.id, other.id}
    web = login_as("t_padmin", "PartnerAdmin", ("migra",))
    page = web.get("/retention/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert due.client_number in html and still_open.client_number in html
    assert other.client_number not in html and not_due.client_number not in html
    assert "2 clients are due." in html


def test_the_retention_page_is_closed_to_staff_and_management(login_as, client, factories):
    for username, role in (("t_staff", "Staff"), ("t_mgmt", "Management")):
        logout(client)
        web = login_as(username, role, ("migra",))
        assert web.get("/retention/").status_code == 403
        assert "iq-retention" not in web.get("/retention/", follow_redirects=True).get_data(as_text=True)
