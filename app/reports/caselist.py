"""Pseudonymous case list (client numbers, never names) as a fixed-width listing.

WeasyPrint lays out every table cell as its own text box; a 100-page table renders at ~3 pages/s.
One preformatted block per page, with columns padded here, renders at ~30 pages/s, and the page
breaks are known in advance (no wrapping), so the header line is repeated on every page.
"""
from flask_babel import gettext as _
from sqlalchemy import select

from app.cases.models import Case
from app.catalogues.models import ReferenceOccupation
from app.clients.models import Client
from app.core.enums import OUTCOMES
from app.core.models import format_date
from app.partners.models import Partner

ROWS_PER_PAGE = 44
# Column widths in characters (A4 landscape, 7.5 pt monospace: about 165 characters a line).
WIDTHS = (9, 14, 14, 11, 11, 50, 44)


def case_rows(session, scope, lang, limit):
    """At most ``limit + 1`` rows (the extra row tells that the list was cut)."""
    occupation = ReferenceOccupation.name_de if lang == "de" else ReferenceOccupation.name_en
    stmt = (
        select(Case.id, Client.client_number, Partner.code, Case.opened_on, Case.closed_on, occupation,
               Case.outcome)
        .join(Client, Client.id == Case.client_id).join(Partner, Partner.id == Case.partner_id)
        .outerjoin(ReferenceOccupation, ReferenceOccupation.id == Case.reference_occupation_id)
        .where(*scope.filter(Case.partner_id, Case.opened_on))
        .order_by(Case.opened_on, Case.id).limit(limit + 1)
    )
    return session.execute(stmt).all()


def _line(values):
    cells = []
    for value, width in zip(values, WIDTHS):
        text = " ".join(str(value or "").split())  # no line breaks or tabs from the data
        cells.append(text.ljust(width) if len(text) < width else text[: width - 2] + "… ")
    return "".join(cells).rstrip()


def listing_pages(rows):
    """Lists of text lines, one list per page, each starting with the header line."""
    header = _line([_("Case"), _("Client number"), _("Partner"), _("Opened on"), _("Closed on"),
                    _("Reference occupation"), _("Outcome")])
    lines = [_line([row[0], row[1], row[2], format_date(row[3]), format_date(row[4]), row[5],
                    OUTCOMES.label(row[6])]) for row in rows]
    return [[header] + lines[start:start + ROWS_PER_PAGE] for start in range(0, len(lines), ROWS_PER_PAGE)]
