"""Consents on the client page, the consent texts (Admin) and the texts as PDF for the client.

* ``ConsentView`` is a related view of ``ClientView``: the client page lists the client's consents
  with "add consent"; a consent is withdrawn by a POST with CSRF token (``/consentview/withdraw/<pk>``)
  that sets the withdrawal date; a withdrawn consent cannot be edited (the model refuses it), only
  followed by a new one. Consents are partner-owned: another partner's consent is 404.
* ``ConsentTextView`` lets an Admin publish versions; a used version is final (the model refuses).
* ``ConsentPdfView``: ``/consenttexts/<pk>.pdf`` (a text to hand out or sign) and
  ``/consents/<pk>.pdf`` (the text a client agreed to, with the consent's facts; scoped).
"""
from datetime import date

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired

from app.clients.consent import (CONSENT_MANNERS, CONSENT_PURPOSES, NEW_CONSENT_MANNERS_ENUM, Consent,
                                 ConsentText)
from app.clients.consent_forms import default_version, text_versions
from app.clients.consent_service import withdraw_consent
from app.core.dates import DateInputError, parse_date
from app.core.errors import DomainError
from app.cases.views import CLIENTS as CLIENT_CHOICES
from app.core.forms import AjaxRelatedField, enum_field
from app.core.models import format_date
from app.core.display import date_formatters
from app.core.views import IqModelView
from app.extensions import db
from app.reports.rendering import pdf_response, render_pdf
from app.security.access_log import note_clients
from app.security.roles import CLIENTS, CONSENT_TEXTS, READ_WRITE

RTL = {"ar", "fa", "he", "ur"}


def _withdraw_form(consent_id):
    """The withdraw button of a consent row: a POST form with the CSRF token and an optional date."""
    if consent_id is None:
        return ""
    url = url_for("ConsentView.withdraw", pk=consent_id)
    return Markup(
        f'<form method="post" action="{escape(url)}" class="form-inline iq-withdraw">'
        f'<input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">'
        f'<input type="text" name="withdrawn_on" class="form-control input-sm" size="10" '
        f'placeholder="{escape(_("DD.MM.YYYY"))}" aria-label="{escape(_("Withdrawn on"))}"> '
        f'<button type="submit" class="btn btn-xs btn-warning">{escape(_("Withdraw"))}</button></form>')


def _pdf_link(consent_id):
    url = url_for("ConsentPdfView.consent_pdf", pk=consent_id)
    return Markup(f'<a href="{escape(url)}"><i class="fa fa-file-pdf-o"></i> PDF</a>')


def _parse_day(text):
    """The withdrawal date typed in the form (the app's one date parser), or None for today."""
    if not (text or "").strip():
        return None
    try:
        return parse_date(text)
    except DateInputError as error:
        raise DomainError(str(error), field="withdrawn_on") from None


def _consent_fields():
    return {
        "text_version": SelectField(_l("Text version"), choices=lambda: [(v, v) for v in text_versions()],
                                    default=default_version, validate_choice=False),
        "language": SelectField(_l("Language"), choices=lambda: [(code, code) for code in _languages()],
                                default="de", validate_choice=False),
        "given_how": enum_field(_l("Given by"), NEW_CONSENT_MANNERS_ENUM, required=True, default="signed_form"),
    }


class ConsentView(IqModelView):
    singular = _l("Consent")
    plural = _l("Consents")
    datamodel = SQLAInterface(Consent)
    class_permission_name = CLIENTS
    method_permission_name = {**READ_WRITE, "withdraw": "write"}
    base_order = ("given_on", "desc")
    list_columns = ["purpose", "given_on", "text_version", "language", "given_how", "withdrawn_on",
                    "id", "open_id"]
    show_columns = ["client", "purpose", "given_on", "text_version", "language", "given_how", "withdrawn_on"]
    add_columns = ["client", "purpose", "given_on", "text_version", "language", "given_how"]
    edit_columns = ["given_on", "text_version", "language", "given_how"]
    search_columns = ["purpose", "given_on", "withdrawn_on"]
    label_columns = {
        "client": _l("Client"), "purpose": _l("Purpose"), "given_on": _l("Given on"),
        "text_version": _l("Text version"), "language": _l("Language"), "given_how": _l("Given by"),
        "withdrawn_on": _l("Withdrawn on"), "id": _l("Text"), "open_id": _l("Withdraw"),
    }
    formatters_columns = {
        **date_formatters("given_on", "withdrawn_on"),
        "open_id": _withdraw_form, "id": _pdf_link,  # purpose, given_how: from the columns (IqModelView)
    }
    ajax_sources = {"client": CLIENT_CHOICES}
    edit_form_extra_fields = _consent_fields()
    add_form_extra_fields = {
        "client": AjaxRelatedField(_l("Client"), [DataRequired()], source=CLIENT_CHOICES,
                                   endpoint="ConsentView.options"),
        **_consent_fields(),  # purpose: from the column's enumeration (IqModelView)
    }

    def pre_delete(self, item):
        raise DomainError(_l("A consent is not deleted: withdraw it instead."))

    def _show(self, pk):
        consent = self.datamodel.get(pk, self._base_filters)
        if consent is not None:
            note_clients([consent.client_id])
        return super()._show(pk)

    @expose("/withdraw/<int:pk>", methods=["POST"])
    @has_access
    def withdraw(self, pk):
        """Withdraw a consent (CSRF-checked POST): from that day it covers nothing; audited."""
        consent = self.datamodel.get(pk, self._base_filters) or abort(404)
        client_id = consent.client_id

        def work():
            withdraw_consent(consent, _parse_day(request.form.get("withdrawn_on")))

        refusal = self._commit(work)
        if refusal:
            flash(str(refusal[1]), "danger")
        else:
            flash(_("The consent was withdrawn."), "success")
        return redirect(url_for("ClientView.show", pk=client_id))


def _languages():
    rows = db.session.execute(select(ConsentText.language).distinct().order_by(ConsentText.language)).scalars()
    return list(rows)


class ConsentTextView(IqModelView):
    """Admin: publish consent texts per purpose, version and language; others read them."""

    singular = _l("Consent text")
    plural = _l("Consent texts")
    datamodel = SQLAInterface(ConsentText)
    class_permission_name = CONSENT_TEXTS
    base_order = ("created_at", "desc")
    list_columns = ["purpose", "version", "language", "created_at", "id"]
    show_columns = ["purpose", "version", "language", "text", "created_at", "updated_at"]
    add_columns = ["purpose", "version", "language", "text"]
    edit_columns = ["purpose", "version", "language", "text"]
    search_columns = ["purpose", "version", "language"]
    label_columns = {"purpose": _l("Purpose"), "version": _l("Version"), "language": _l("Language (ISO 639-1)"),
                     "text": _l("Text"), "created_at": _l("Published on"), "updated_at": _l("Changed on"),
                     "id": "PDF"}
    formatters_columns = {  # purpose: select, formatter and filter from the column (IqModelView)
        "created_at": lambda value: value.strftime("%d.%m.%Y %H:%M") if value else "",
        "id": lambda pk: Markup(f'<a href="{escape(url_for("ConsentPdfView.text_pdf", pk=pk))}">'
                                 f'<i class="fa fa-file-pdf-o"></i> PDF</a>'),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "text": TextAreaField(_l("Text"), [DataRequired()], render_kw={"rows": 10}),
    }


    # ``version`` here is the text's version label, not the optimistic-lock counter that
    # IqModelView treats specially under that name: copied from the form, never compared.
    @staticmethod
    def _is_stale(form, item):
        return False

    def process_form(self, form, is_created):
        g.iq_text_version = form.version.data

    def pre_add(self, item):
        item.version = g.get("iq_text_version")

    def pre_update(self, item):
        item.version = g.get("iq_text_version")


class ConsentPdfView(BaseView):
    """The consent texts as PDF: a published text, or the text one consent was given for."""

    route_base = ""
    class_permission_name = CLIENTS
    method_permission_name = {"text_pdf": "read", "consent_pdf": "read"}

    @expose("/consenttexts/<int:pk>.pdf")
    @has_access
    def text_pdf(self, pk):
        text = db.session.get(ConsentText, pk) or abort(404)
        return pdf_response(self._render(text), f"consent-{text.purpose}-{text.version}-{text.language}.pdf")

    @expose("/consents/<int:pk>.pdf")
    @has_access
    def consent_pdf(self, pk):
        """Scoped: another partner's consent is not found (404)."""
        consent = db.session.execute(select(Consent).where(Consent.id == pk)).unique().scalar_one_or_none()
        if consent is None:
            abort(404)
        text = db.session.execute(select(ConsentText).where(
            ConsentText.purpose == consent.purpose, ConsentText.version == consent.text_version,
            ConsentText.language == consent.language)).scalar_one_or_none()
        if text is None:
            abort(404)
        note_clients([consent.client_id])
        return pdf_response(self._render(text, consent), f"consent-{consent.id}.pdf")

    @staticmethod
    def _render(text, consent=None):
        return render_pdf("clients/consent_text.html", text=text, consent=consent, rtl=text.language in RTL,
                          purpose=CONSENT_PURPOSES.label(text.purpose),
                          manner=CONSENT_MANNERS.label(consent.given_how) if consent else "",
                          format_date=format_date, today=date.today())
