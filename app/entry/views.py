"""Counselling → New counselling: one keyboard-friendly form for a case with its first contact.

Client, case and first contact are saved in one transaction through the models, so either all three
exist afterwards or none. The date and channel last used, and the partner, are remembered per user
in the session: "Save and next" returns an empty form that keeps them.
"""
from datetime import date

from flask import abort, flash, g, jsonify, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from sqlalchemy import select

from app.cases.models import Contact
from app.catalogues.models import CompetentBody
from app.clients.consent import ConsentText
from app.clients.duplicates import DuplicateClient, check_person, flash_hints
from app.core.errors import ScopeError
from app.core.refusals import REFUSED, refusal_for
from app.entry.fields import CLIENT_SEARCH, country_names, occupations
from app.entry.forms import QuickEntryForm
from app.entry.saving import save_entry
from app.extensions import db
from app.funding.models import FundingPeriod
from app.security.roles import CASES
from app.security.partner_choice import selectable_partners
from app.security.scoping import owning_partner_id

REMEMBERED = "iq_quick_entry"
# Errors of the models name their column; these columns have another name in this form.
_FIELD_OF = {"date": "opened_on", "funding_period": "opened_on", "case": "client"}


class QuickEntryView(BaseView):
    route_base = "/entry"
    default_view = "index"
    class_permission_name = CASES
    method_permission_name = {"index": "write", "options": "read"}

    @expose("/options/<column>")
    @has_access
    def options(self, column):
        if column != "client":
            abort(404)
        return jsonify(results=CLIENT_SEARCH.search(request.args.get("q")))

    @expose("/", methods=["GET", "POST"])
    @has_access
    def index(self):
        partners = _own_partners()
        form = QuickEntryForm()
        form.partner.choices = [(p.id, p.name) for p in partners]
        form.competent_body.choices = [("", "—")] + [
            (body.id, body.name) for body in db.session.execute(select(CompetentBody).order_by(CompetentBody.name)).scalars()
        ]
        duplicates = []
        catalogue = occupations()
        if request.method == "GET":
            self._apply_defaults(form)
        elif form.validate_on_submit():
            if request.form.get("use_client"):
                form.client.data = CLIENT_SEARCH.get(request.form["use_client"]) or abort(404)
            try:
                hints = self._check_duplicates(form)
                case = save_entry(db.session, form)
                flash_hints(hints)  # other partners that possibly counselled the person, after saving
                return self._saved(form, case)
            except DuplicateClient as error:  # listed with "use this client" / "create anyway"
                db.session.rollback()
                duplicates = error.clients
                self._refuse(form, None, error.message)
            except ScopeError:
                db.session.rollback()
                abort(404)
            except REFUSED as error:  # mapped like every refused write (app.core.refusals)
                db.session.rollback()
                refusal = refusal_for(error, where="in the quick entry")
                self._refuse(form, refusal.field, refusal.message)
        return self.render_template(
            "entry/quick.html", form=form, duplicates=duplicates, countries=country_names(),
            occupations=catalogue, occupation_facts=_occupation_facts(catalogue), periods=_periods(), partner_states={p.id: p.state for p in partners},
            single_partner=len(partners) == 1, consent_texts=_current_texts(),
        )

    @staticmethod
    def _check_duplicates(form):
        """The client about to be created must not be a likely duplicate (app.clients.duplicates), unless
        one was chosen or the user confirmed "create anyway"; answers the hints about other partners."""
        if form.client.data is not None or not form.new_client_given():
            return ()
        return check_person(db.session, owning_partner_id(form.partner.data), form.birth_date.data, form.first_name.data,
                     form.last_name.data, confirmed=bool(form.create_anyway.data))

    def _saved(self, form, case):
        session[REMEMBERED] = {"date": case.opened_on.isoformat(), "channel": form.channel.data,
                               "partner": case.partner_id}
        flash(_("Case #%(id)s saved for client %(number)s.", id=case.id, number=case.client.client_number),
              "success")
        if "save_next" in request.form:
            return redirect(url_for("QuickEntryView.index"))
        return redirect(url_for("CaseView.show", pk=case.id))

    @staticmethod
    def _apply_defaults(form):
        remembered = session.get(REMEMBERED) or {}
        last = db.session.execute(select(Contact.date, Contact.channel).where(Contact.counsellor_id == g.user.id)
                                  .order_by(Contact.date.desc(), Contact.id.desc()).limit(1)).first()
        day = remembered.get("date") or (last.date.isoformat() if last else None)
        if day:
            form.opened_on.data = date.fromisoformat(day)
        form.channel.data = remembered.get("channel") or (last.channel if last else "face_to_face")
        if remembered.get("partner") in {choice[0] for choice in form.partner.choices}:
            form.partner.data = remembered["partner"]

    @staticmethod
    def _refuse(form, field_name, message):
        message = str(message)
        field_name = _FIELD_OF.get(field_name, field_name)
        if field_name and field_name in form:
            form[field_name].errors = list(form[field_name].errors) + [message]
        flash(message, "danger")


def _current_texts():
    """The newest counselling text per language, to print for the client (PDF links)."""
    texts = {}
    for text in db.session.execute(select(ConsentText).where(ConsentText.purpose == "counselling")
                                   .order_by(ConsentText.created_at, ConsentText.id)).scalars():
        texts[text.language] = text
    return sorted(texts.values(), key=lambda text: (text.language != "de", text.language))


def _own_partners():
    """The partners the user may enter cases for (the choice is checked again on save)."""
    return selectable_partners("write")


def _occupation_facts(catalogue):
    """Name (either language) → whether it is regulated and the competent body per state."""
    facts = {}
    for occupation in catalogue:
        fact = {"regulated": occupation.regulated, "mv": occupation.competent_body_mv_id,
                "st": occupation.competent_body_st_id}
        facts[occupation.name_en] = facts[occupation.name_de] = fact
    return facts


def _periods():
    rows = db.session.execute(select(FundingPeriod).order_by(FundingPeriod.start)).scalars()
    return [{"code": p.code, "name": str(p), "start": p.start.isoformat(), "end": p.end.isoformat()} for p in rows]
