"""The "Verlauf" (history) tab does not cost a statement per event (no N+1): the names it shows
for the records, related ids and actors of all events are read in a few batched statements; and
the show pages themselves read no history (the tab loads it from /clients|cases/<pk>/history).

Counted like tests/test_statement_counts.py (its ``count`` helper: a warm-up request, then the
statements of one request, PostgreSQL's scope ``set_config`` excluded)."""
from datetime import date, timedelta

import pytest

from tests.test_statement_counts import count


def _client_with(factories, ctx, cases, contacts_per_case, counsellors):
    client = factories.client(partner="migra", commit=False)
    for n in range(cases):
        case = factories.case(client=client, opened_on=date(2013, 1, 1) + timedelta(days=n), commit=False,
                              counsellor_id=counsellors[n % len(counsellors)])
        for m in range(contacts_per_case):
            factories.contact(case, date=case.opened_on + timedelta(days=m), commit=False,
                              kind="first_contact" if m == 0 else "follow_up",
                              counsellor_id=counsellors[(n + m) % len(counsellors)])
    ctx.commit()
    for case in client.cases:  # an update event per case and contact: old → new values to format
        case.outcome = "application_filed"
        for contact in case.contacts:
            contact.minutes = 50
    ctx.commit()
    return client


@pytest.fixture
def two_clients(factories, ctx, make_user):
    counsellors = [make_user(f"t_hist_c{n}", "Staff", ("migra",)) for n in range(3)]
    # The same three counsellors in both: the case page's contact list names each distinct
    # counsellor once (one statement per user not yet loaded, bounded by the partner's staff, not by
    # the events); what must not grow is the history with the number of events.
    few = _client_with(factories, ctx, cases=1, contacts_per_case=3, counsellors=counsellors)
    many = _client_with(factories, ctx, cases=6, contacts_per_case=6, counsellors=counsellors)
    return few, many


def test_client_and_case_pages_do_not_query_per_event(app, login_as, two_clients):
    few, many = two_clients
    web = login_as("t_hist_reader", "Staff", ("migra",))
    pages = {}
    fetch = {"X-Requested-With": "fetch"}
    for name, record in (("few", few), ("many", many)):
        pages[name] = {
            "client": count(app, web, f"/clientview/show/{record.id}"),
            "case": count(app, web, f"/caseview/show/{record.cases[0].id}"),
            "client history": count(app, web, f"/clients/{record.id}/history", headers=fetch),
            "case history": count(app, web, f"/cases/{record.cases[0].id}/history", headers=fetch),
        }
    for page in ("client", "case", "client history", "case history"):
        assert len(pages["few"][page]) == len(pages["many"][page]), (page, pages["many"][page])
    for page in ("client", "case"):  # the show pages read no history: the tab loads it when opened
        assert not [s for s in pages["many"][page] if "audit_event" in s], pages["many"][page]
    html = web.get(f"/clients/{many.id}/history", headers=fetch).get_data(as_text=True)
    assert "t_hist_c2 Test (t_hist_c2)" in html  # the counsellors are still shown by name
    assert html.count("Kontakt #") + html.count("Contact #") >= 36  # every contact's events are listed
