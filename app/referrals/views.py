"""Counselling → Referrals: the inbox (received and sent), the referral form and the POST steps.

The rules live in ``app.referrals.service``; these views find records through the one scope, call
the service, commit, and say what happened (refusals through ``refusal_for`` like every form).
"""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import select

from app.cases.models import Case
from app.clients.consent import NEW_CONSENT_MANNERS_ENUM
from app.clients.models import Client
from app.core.errors import ScopeError
from app.core.refusals import refusal_for
from app.extensions import db
from app.referrals import handover, service
from app.referrals.models import AGE_BAND_LABELS, REFERRAL_OFFERS
from app.security.roles import REFERRALS
from app.security.scoping import log_denied


def user_or_none():
    user = getattr(g, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


def run_step(step, *args, **kwargs):
    """One step in one transaction: (result, None) or (None, Refusal); another partner's record → 404."""
    result, error = service.run_step(db.session, user_or_none(), step, *args, **kwargs)
    if error is None:
        return result, None
    if isinstance(error, ScopeError):
        abort(404)
    return None, refusal_for(error, where="in a referral")


class ReferralView(BaseView):
    route_base = "/referrals"
    default_view = "inbox"
    class_permission_name = REFERRALS
    method_permission_name = {"inbox": "read", "new": "write", "create": "write", "accept": "write",
                              "decline": "write", "withdraw": "write"}

    @expose("/")
    @has_access
    def inbox(self):
        received, sent = service.listing(db.session)
        states = handover.consent_states(db.session, [r for r in received + sent if r.status == "open"])
        return self.render_template(
            "referrals/inbox.html", received=received, sent=sent, consent_ok=states,
            payloads=service.sender_details(db.session, sent),
            intakes=service.receiver_details(db.session, [r for r in received if r.status == "accepted"]),
            manners=NEW_CONSENT_MANNERS_ENUM.choices(), today=service.default_opening_day(), age_bands=AGE_BAND_LABELS)

    def _client(self, pk):
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            abort(404)
        client = db.session.scalars(select(Client).where(Client.id == pk)).first()
        if client is None:
            log_denied("Client", pk)
            abort(404)
        return client

    def _form(self, client, values, status=200):
        cases = db.session.scalars(select(Case).where(Case.client_id == client.id)
                                   .order_by(Case.opened_on.desc())).all()
        return self.render_template(
            "referrals/new.html", client=client, cases=cases, values=values,
            problem=service.consent_problem(client), offers=REFERRAL_OFFERS.choices(),
            partners=service.target_partners(db.session, client.partner_id)), status

    @expose("/new")
    @has_access
    def new(self):
        client = self._client(request.args.get("client"))
        return self._form(client, {"case": request.args.get("case", "")})

    @expose("/new", methods=["POST"])
    @has_access
    def create(self):
        client = self._client(request.form.get("client"))
        values = {name: request.form.get(name, "") for name in ("case", "to_partner", "offer", "reason")}
        referral, refusal = run_step(service.refer, client.id, values["to_partner"], values["offer"],
                                     values["reason"], case=values["case"] or None)
        if refusal is not None:
            flash(str(refusal), "danger")
            return self._form(client, values, refusal.status)
        flash(_("Referral #%(id)s to %(partner)s sent.", id=referral.id, partner=referral.to_partner.name), "success")
        return redirect(url_for("ReferralView.inbox"))

    @expose("/<int:pk>/accept", methods=["POST"])
    @has_access
    def accept(self, pk):
        consent = None
        if request.form.get("counselling_consent"):
            consent = {"given_on": request.form.get("given_on"), "given_how": request.form.get("given_how")}
        result, refusal = run_step(service.accept, pk, consent=consent, opened_on=request.form.get("opened_on"))
        if refusal is not None:
            flash(str(refusal), "danger")
            return redirect(url_for("ReferralView.inbox"))
        _referral, new_client, _case = result
        link = Markup('<a href="%s">%s</a>') % (url_for("ClientView.show", pk=new_client.id), new_client.client_number)
        flash(Markup(escape(_("Referral #%(id)s accepted: new client", id=pk))) + Markup(" ") + link, "success")
        return redirect(url_for("ReferralView.inbox"))

    @expose("/<int:pk>/decline", methods=["POST"])
    @has_access
    def decline(self, pk):
        _result, refusal = run_step(service.decline, pk, request.form.get("reason"))
        flash(str(refusal) if refusal else _("Referral #%(id)s declined.", id=pk), "danger" if refusal else "success")
        return redirect(url_for("ReferralView.inbox"))

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @has_access
    def withdraw(self, pk):
        _result, refusal = run_step(service.withdraw, pk)
        flash(str(refusal) if refusal else _("Referral #%(id)s withdrawn.", id=pk), "danger" if refusal else "success")
        return redirect(url_for("ReferralView.inbox"))


class BadgeLabel:
    """A menu label followed by the number of open received referrals (``badge_suffix``, per request;
    FAB's navbar passes the label through gettext, which returns an unknown object unchanged)."""

    def __init__(self, label):
        self.label = label

    def __html__(self):
        from app.core.navbar import BADGE_MARKER, rendering_for_cache

        text = str(escape(str(self.label)))
        if rendering_for_cache():  # the menu is kept per role set (app.core.navbar); the count goes in per request
            return text + BADGE_MARKER
        return text + str(badge_suffix())

    def __str__(self):
        return str(self.label)


def _open_received_count():
    """The badge's count (read once per request: the category and the item share it; the service
    keeps it 10 s per partner set), for users who are Staff at some partner; the network Admin
    processes no inbox: no badge."""
    from app.security.scoping import current_scope

    if user_or_none() is None:
        return 0
    cached = g.get("_iq_referral_badge")
    if cached is None:
        write_ids = current_scope().write_ids
        cached = service.open_received_count(db.session) if write_ids else 0
        g._iq_referral_badge = cached
    return cached


def badge_suffix():
    """`` <span class="badge">N</span>`` after the label, or nothing without open referrals."""
    count = _open_received_count()
    if not count:
        return Markup("")
    return Markup(' <span class="badge iq-referral-badge" title="%s">%d</span>') % (
        _("open referrals received"), count)


def add_badges(appbuilder, category, item):
    """The badge on the menu item and on its category (one place; FAB 5.3's ``MenuItem.label``)."""
    for menu in appbuilder.menu.menu:
        if menu.name == category:
            menu.label = BadgeLabel(menu.label)
            for child in menu.childs:
                if child.name == item:
                    child.label = BadgeLabel(child.label)
