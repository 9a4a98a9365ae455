"""Consents: has_consent over time, withdrawal is final, the API's consents list, partner scope."""
from datetime import date

import pytest

from app.clients.consent import Consent, ConsentText, current_text_version, has_consent
from app.core.errors import DomainError
from tests.api_support import STAFF, rows


def test_has_consent_follows_given_and_withdrawn_dates(factories, ctx):
    record = factories.anonymous()
    assert not has_consent(record, "counselling", on=date(2014, 1, 1))
    consent = factories.consent(record, given_on=date(2013, 3, 14))
    assert not has_consent(record, "counselling", on=date(2013, 3, 13))
    assert has_consent(record, "counselling", on=date(2013, 3, 14))
    assert not has_consent(record, "email", on=date(2014, 1, 1))
    consent.withdrawn_on = date(2015, 6, 1)
    ctx.commit()
    assert has_consent(record, "counselling", on=date(2015, 5, 31))
    assert not has_consent(record, "counselling", on=date(2015, 6, 1))
    assert not has_consent(record, "counselling")
    with pytest.raises(ValueError):
        has_consent(record, "marketing")


def test_withdrawn_consent_cannot_be_changed_only_followed_by_a_new_one(factories, ctx):
    record = factories.anonymous()
    consent = factories.consent(record, given_on=date(2013, 3, 14), withdrawn_on=date(2014, 1, 1))
    consent.withdrawn_on = None
    with pytest.raises(DomainError, match="withdrawn consent cannot be changed"):
        ctx.flush()
    ctx.rollback()
    [row] = rows(ctx, Consent, id=consent.id)
    assert row.withdrawn_on == date(2014, 1, 1)
    factories.consent(row.client, given_on=date(2015, 2, 2))
    assert has_consent(row.client, "counselling", on=date(2016, 1, 1))


@pytest.mark.parametrize("fields, fragment", [
    ({"purpose": "marketing"}, "marketing"),
    ({"given_how": "telepathy"}, "telepathy"),
    ({"given_on": date(2013, 3, 14), "withdrawn_on": date(2013, 3, 1)}, "before it was given"),
    ({"given_on": date(2999, 1, 1)}, "future"),
])
def test_bad_consents_are_refused_and_nothing_is_saved(fields, fragment, factories, ctx):
    record = factories.anonymous()
    with pytest.raises(DomainError, match=fragment):
        factories.consent(record, **fields)
    ctx.rollback()
    assert rows(ctx, Consent, client_id=record.id) == []


def test_seeded_texts_exist_for_german_english_and_letter_languages(ctx):
    languages = {t.language for t in ctx.query(ConsentText).filter_by(purpose="counselling")}
    assert {"de", "en", "ru", "ar"} <= languages
    assert current_text_version(ctx, "counselling", "de") == "2026-1"


def test_api_shows_consents_and_hides_another_partners(client, api_token, factories, ctx):
    headers = api_token(*STAFF)
    own = factories.anonymous()
    factories.consent(own, given_on=date(2013, 3, 14), withdrawn_on=date(2014, 2, 1))
    factories.consent(own, purpose="email", given_on=date(2014, 3, 1), given_how="email")
    shown = client.get(f"/api/v1/client/{own.id}", headers=headers).get_json()["result"]
    assert shown["consents"] == [
        {"purpose": "counselling", "given_on": "2013-03-14", "text_version": "2026-1",
         "withdrawn_on": "2014-02-01"},
        {"purpose": "email", "given_on": "2014-03-01", "text_version": "2026-1", "withdrawn_on": None},
    ]
    assert "delete_after" in shown
    foreign = factories.anonymous(partner="genres")
    factories.consent(foreign)
    assert client.get(f"/api/v1/client/{foreign.id}", headers=headers).status_code == 404


def test_consent_rows_of_another_partner_are_out_of_scope(app, factories, ctx):
    from app.extensions import db
    from app.security.scoping import partner_scope

    foreign = factories.anonymous(partner="genres")
    factories.consent(foreign)
    own = factories.anonymous()
    mine = factories.consent(own)
    with app.app_context(), partner_scope([factories.partner("migra").id]):
        visible = [c.id for c in db.session.query(Consent)]
    assert visible == [mine.id]


def test_withdrawal_is_audited_with_old_and_new_value(factories, ctx):
    from app.security.models import AuditEvent

    record = factories.anonymous()
    consent = factories.consent(record, given_on=date(2013, 3, 14))
    consent.withdrawn_on = date(2016, 4, 5)
    ctx.commit()
    [event] = rows(ctx, AuditEvent, table_name="consent", record_id=str(consent.id), action="withdraw")
    assert event.old_values == {"withdrawn_on": None}
    assert event.new_values == {"withdrawn_on": "2016-04-05"}
    assert event.partner_id == record.partner_id
