"""Counselling cases and their contacts.

A case's partner is its client's partner, and its funding period follows from the opening date (both
decided in the model layer and by ``owning_partner_id``), so neither is a form field. Clients and cases
are chosen by search-as-you-type: production has 200,000 clients and a million cases.
"""
from datetime import date

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired

from app.cases.counsellors import counsellor_field, default_counsellor, set_form_partner
from app.cases.models import Case, Contact
from app.clients.models import Client
from app.clients.naming import client_label, client_link
from app.core.enums import CONTACT_KINDS, OUTCOMES
from app.core.dates import DateInputError, format_input, parse_date
from app.core.filters import FilterClientNameOrNumber
from app.core.forms import AjaxRelatedField, RelatedSource, country_field, enum_field, version_field
from app.core.display import country_formatter, date_formatters, enum_formatter, yes_no
from app.core.refusals import STALE_MESSAGE
from app.core.views import BulkDeleteMixin, IqModelView
from app.security.access_log import LogsClientReads
from app.security.roles import CASES, READ_WRITE
from app.security.scoping import log_denied
from app.transfer.widgets import ExportListWidget

CLIENTS = RelatedSource(Client, ["client_number", "last_name"], text=client_label)


class _CaseNumberSource(RelatedSource):
    """Cases are found by their number (``#123``/``123``) or their client's number."""

    def search(self, term):
        term = (term or "").strip().lstrip("#")
        if term.isdigit():
            case = self.get(term)
            return [{"id": case.id, "text": self.text(case)}] if case else []
        return super().search("")


def case_label(case):
    """``#4834 Kovalenko, Olena (MIGR-…)`` for Staff, ``#4834 MIGR-…`` for everybody else."""
    return f"#{case.id} {client_label(case.client)}" if case is not None else ""


CASE_CHOICES = _CaseNumberSource(Case, [], text=lambda c: f"{case_label(c)} ({c.opened_on:%d.%m.%Y})")

_CONTACT_LABELS = {
    "case": _l("Case"), "date": _l("Date"), "kind": _l("Kind of contact"), "channel": _l("Channel"),
    "minutes": _l("Minutes"), "counsellor": _l("Counsellor"), "partner": _l("Partner"),
}


class ContactView(LogsClientReads, BulkDeleteMixin, IqModelView):
    singular = _l("Contact")
    plural = _l("Contacts")
    datamodel = SQLAInterface(Contact)
    class_permission_name = CASES
    owning_partner = True
    base_order = ("date", "desc")
    ajax_sources = {"case": CASE_CHOICES}
    add_template = "cases/contact_add.html"  # the case it belongs to on top, the cursor in the first field
    list_columns = ["date", "case", "kind", "channel", "minutes", "counsellor"]
    search_columns = ["date", "kind", "channel", "partner"]
    add_columns = ["case", "date", "kind", "channel", "minutes", "counsellor"]
    edit_columns = ["date", "kind", "channel", "minutes", "counsellor"]
    show_columns = ["case", "partner", "date", "kind", "channel", "minutes", "counsellor"]
    label_columns = _CONTACT_LABELS
    edit_form_extra_fields = {
        "counsellor": counsellor_field(_l("Counsellor")),
    }
    add_form_extra_fields = {
        "case": AjaxRelatedField(_l("Case"), [DataRequired()], source=CASE_CHOICES, endpoint="ContactView.options"),
        **edit_form_extra_fields,
        # Added from a case page, a contact is a follow-up; the first one comes with the case.
        "kind": enum_field(_l("Kind of contact"), CONTACT_KINDS, required=True, default="follow_up"),
        "counsellor": counsellor_field(_l("Counsellor"), default=default_counsellor),
    }
    formatters_columns = {**date_formatters("date"), "case": case_label,
                          "counsellor": lambda user: str(user) if user else ""}

    client_column = "case"  # a listed contact's case names its client (read-access log)

    def client_ids_for(self, pks):
        """The case shown with each contact names its client (read-access log)."""
        return self.datamodel.session.execute(
            select(Case.client_id).join(Contact, Contact.case_id == Case.id).where(Contact.id.in_(pks))
        ).scalars().all()

    # --- the form knows its case: header, counsellors of the case's partner, 404 out of scope ----
    def _add(self):
        case = self._case_of_link()
        g.iq_contact_case = case
        set_form_partner(case.partner_id if case is not None else None)
        return super()._add()

    def _edit(self, pk):
        contact = self._record(pk)
        if contact is None:
            abort(404)
        set_form_partner(contact.partner_id, keep=contact.counsellor_id)
        return super()._edit(pk)

    def _case_of_link(self):
        """The case a "follow-up contact" link names (``?_flt_0_case=<id>``): not found → 404,
        never a form that silently refuses to save."""
        raw = request.args.get("_flt_0_case")
        if raw is None:
            return None
        case = CASE_CHOICES.get(raw)
        if case is None:
            log_denied("Case", None)
            abort(404, description=_("Case #%(number)s was not found. Open the follow-up contact from "
                                     "the case's page.", number=raw[:20]))
        return case

    def _get_add_widget(self, form, exclude_cols=None, widgets=None):
        widgets = super()._get_add_widget(form, exclude_cols=exclude_cols, widgets=widgets)
        case = g.get("iq_contact_case")
        widgets.update(case=case, case_client=client_link(case.client) if case is not None else "")
        return widgets


_CASE = ["opened_on", "closed_on", "counsellor", "enquirer", "referral_source"]
_QUALIFICATION = ["qualification_title", "qualification_type", "qualification_country", "qualification_year"]
_RECOGNITION = ["reference_occupation", "regulated", "legal_basis", "competent_body", "outcome",
                "notice_result", "notes"]


def _form_fields():
    # Enumerations (enquirer, outcome, ...) are declared on the model (Enumeration.column_info).
    return {"qualification_country": country_field(_l("Country of qualification"))}


class CaseView(LogsClientReads, IqModelView):
    singular = _l("Case")
    plural = _l("Cases")
    # Only indexed columns are sortable: a network-wide sort on anything else orders a million rows.
    order_columns = ["id", "opened_on"]
    datamodel = SQLAInterface(Case)
    class_permission_name = CASES
    owning_partner = True
    base_order = ("opened_on", "desc")
    related_views = [ContactView]
    ajax_sources = {"client": CLIENTS}
    list_widget = ExportListWidget  # CSV/Excel buttons carrying the list's filters
    show_template = "cases/show.html"  # follow-up contact and confirmation letter buttons
    extra_args = {"history_kind": "case"}  # the "Verlauf" tab (security/show_with_history.html)
    list_columns = ["id", "client", "opened_on", "closed_on", "status", "outcome", "funding_period", "partner"]
    search_columns = ["client", "opened_on", "closed_on", "status", "funding_period", "partner",
                      "qualification_title", "reference_occupation", "regulated", "outcome"]
    # The client by name or number (a text field, not a select of 200,000 clients).
    search_form_extra_fields = {"client": StringField(_l("Client"), render_kw={"class": "form-control"})}
    column_filters = {"client": [FilterClientNameOrNumber]}
    add_columns = ["client"] + _CASE + _QUALIFICATION + _RECOGNITION
    edit_columns = _CASE + _QUALIFICATION + _RECOGNITION + ["version"]
    show_fieldsets = [
        (_l("Case"), {"fields": ["id", "client", "partner", "funding_period", "status"] + _CASE}),
        (_l("Qualification"), {"fields": _QUALIFICATION}),
        (_l("Recognition"), {"fields": _RECOGNITION}),
    ]
    label_columns = {
        "id": _l("Case number"), "client": _l("Client"), "partner": _l("Partner"),
        "funding_period": _l("Funding period"), "status": _l("Status"), "opened_on": _l("Opened on"),
        "closed_on": _l("Closed on"), "counsellor": _l("Counsellor"), "enquirer": _l("Enquirer"),
        "referral_source": _l("Referral source"), "qualification_title": _l("Qualification (original title)"),
        "qualification_type": _l("Type of qualification"), "qualification_country": _l("Country of qualification"),
        "qualification_year": _l("Year completed"), "reference_occupation": _l("Reference occupation"),
        "regulated": _l("Regulated"), "legal_basis": _l("Legal basis"), "competent_body": _l("Competent body"),
        "outcome": _l("Outcome"), "notice_result": _l("Notice result"), "notes": _l("Notes"),
        "version": _l("Version"),
    }
    add_form_extra_fields = {
        "client": AjaxRelatedField(_l("Client"), [DataRequired()], source=CLIENTS, endpoint="CaseView.options"),
        **_form_fields(),
        "counsellor": counsellor_field(_l("Counsellor"), default=default_counsellor),
    }
    edit_form_extra_fields = {**_form_fields(), "version": version_field(),
                              "counsellor": counsellor_field(_l("Counsellor"))}
    formatters_columns = {
        **date_formatters("opened_on", "closed_on"),
        "qualification_country": country_formatter,
        "regulated": yes_no, "counsellor": lambda user: str(user) if user else "",
        "reference_occupation": lambda occupation: str(occupation) if occupation else "",
        "competent_body": lambda body: str(body) if body else "",
        "client": client_link,  # "Nachname, Vorname (Nr.)" with a link for Staff; the number otherwise
    }
    method_permission_name = {**READ_WRITE, "close": "write"}

    client_column = "client"  # the list shows the client's name (read-access log)

    def client_ids_for(self, pks):
        """Case pages show the client's name and the notes (read-access log)."""
        return self.datamodel.session.execute(select(Case.client_id).where(Case.id.in_(pks))).scalars().all()

    def _edit(self, pk):
        case = self._record(pk)
        if case is None:
            abort(404)
        set_form_partner(case.partner_id, keep=case.counsellor_id)  # this partner's staff
        return super()._edit(pk)

    # --- the case page: the client, edit and close ---------------------------------------------
    def _get_show_widget(self, pk, item, **kwargs):
        widgets = super()._get_show_widget(pk, item, **kwargs)
        # templates/cases/show.html: the buttons and the close form
        widgets.update(case=item, close_outcomes=OUTCOMES.choices(), close_today=today_text())
        return widgets

    @expose("/close/<pk>", methods=["POST"])
    @has_access
    def close(self, pk):
        """Close the case with an outcome (a POST with CSRF token; the rules are the model's)."""
        case = self.datamodel.get(pk, self._base_filters)
        if case is None:
            abort(404)
        show = url_for("CaseView.show", pk=case.id)
        if str(request.form.get("version", "")) != str(case.version):
            flash(str(STALE_MESSAGE), "danger")
            return redirect(show)
        try:
            closed_on = parse_date(request.form.get("closed_on"))
        except DateInputError as error:
            flash(str(error), "danger")
            return redirect(show)
        refusal = self._commit(lambda: case.close(closed_on, request.form.get("outcome") or None))
        if refusal:
            flash(str(refusal[1]), "danger")
        else:
            flash(_("The case has been closed."), "success")
        return redirect(show)


def today_text():
    return format_input(date.today())
