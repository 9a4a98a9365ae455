"""``/api/v1/referral/``: the same service, rules and messages as the inbox (CONTRACT.md, Network).

A referral answers with what its side may know: the receiver the carried fields (and, once it has
accepted, its own new client and case); the sender its own client and case — never the receiver's.
"""
from flask import request
from flask_appbuilder.api import BaseApi, expose, protect
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.errors import ScopeError
from app.core.refusals import refusal_for
from app.extensions import db
from app.referrals import handover, service
from app.referrals.models import Referral
from app.referrals.views import user_or_none
from app.security.roles import REFERRALS
from app.security.scoping import current_scope


def as_json(referral, direction, payload=None, intake=None, consent_ok=None):
    body = {
        "id": referral.id, "direction": direction, "status": referral.status,
        "from_partner": referral.from_partner_id, "to_partner": referral.to_partner_id,
        "offer": referral.offer, "reason": referral.reason, "referred_on": referral.referred_on.isoformat(),
        "initials": referral.initials, "age_band": referral.age_band,
        "reference_occupation": referral.reference_occupation_id, "with_case": referral.with_case,
        "decided_on": referral.decided_on.isoformat() if referral.decided_on else None,
        "decline_reason": referral.decline_reason,
    }
    if consent_ok is not None:
        body["consent_valid"] = consent_ok
    if direction == "sent" and payload is not None:
        body.update(client=payload.client_id, case=payload.case_id)
    if direction == "received" and intake is not None:
        body.update(client=intake.client_id, case=intake.case_id)
    return body


class ReferralApi(BaseApi):
    resource_name = "referral"
    class_permission_name = REFERRALS
    method_permission_name = {"get_list": "read", "get": "read", "post": "write", "accept": "write",
                              "decline": "write", "withdraw": "write"}
    openapi_spec_tag = "Referrals"

    def _rows(self, referrals):
        """Each referral once per side the user is on (a user of both partners sees both)."""
        scope = current_scope()
        states = handover.consent_states(db.session, referrals)
        sent_ids = [r for r in referrals if scope.allows(r.from_partner_id)]
        received = [r for r in referrals if scope.allows(r.to_partner_id)]
        payloads = service.sender_details(db.session, sent_ids)
        intakes = service.receiver_details(db.session, received)
        rows = [as_json(r, "received", intake=intakes.get(r.id), consent_ok=states.get(r.id)) for r in received]
        rows += [as_json(r, "sent", payload=payloads.get(r.id), consent_ok=states.get(r.id)) for r in sent_ids]
        return rows

    def _step(self, step, *args, **kwargs):
        result, error = service.run_step(db.session, user_or_none(), step, *args, **kwargs)
        if error is None:
            return result, None
        if isinstance(error, ScopeError):
            return None, self.response_404()
        refusal = refusal_for(error, where="in a referral (API)")
        return None, self.response(refusal.status, **refusal.as_json())

    def _body(self):
        body = request.get_json(silent=True)
        return body if isinstance(body, dict) else None

    @expose("/", methods=["GET"])
    @protect()
    def get_list(self):
        """The user's referrals, sent and received (scoped), newest first.
        ---
        get:
          responses:
            200:
              description: "result: the referrals; count"
        """
        received, sent = service.listing(db.session)
        unique = {r.id: r for r in received + sent}
        rows = self._rows(sorted(unique.values(), key=lambda r: (r.referred_on, r.id), reverse=True))
        return self.response(200, result=rows, count=len(rows))

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    def get(self, pk):
        """One referral of the user's partners.
        ---
        get:
          parameters:
          - in: path
            name: pk
            schema:
              type: integer
          responses:
            200:
              description: the referral (once per side of the user)
            404:
              description: not a referral of the user's partners
        """
        referral = db.session.scalars(select(Referral).where(Referral.id == pk)).first()
        if referral is None:
            return self.response_404()
        return self.response(200, result=self._rows([referral]))

    @expose("/", methods=["POST"])
    @protect()
    def post(self):
        """Refer a client: ``{"client", "case" (optional), "to_partner", "reason", "offer"}``.
        ---
        post:
          responses:
            201:
              description: sent
            404:
              description: client outside the user's partners
            422:
              description: refused with the reason (e.g. no referral consent)
        """
        body = self._body()
        if body is None:
            return self.response(400, message=_("The request body must be a JSON object."))
        referral, failed = self._step(service.refer, body.get("client"), body.get("to_partner"), body.get("offer"),
                                      body.get("reason"), case=body.get("case"))
        if failed is not None:
            return failed
        return self.response(201, id=referral.id, status=referral.status,
                             message=_("Referral #%(id)s to %(partner)s sent.", id=referral.id,
                                       partner=referral.to_partner.name))

    @expose("/<int:pk>/accept", methods=["POST"])
    @protect()
    def accept(self, pk):
        """Accept (receiving partner): ``{"counselling_consent": {"given_on", "given_how"}, "opened_on"}``,
        both optional; without the consent only the statistical fields are copied.
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema:
              type: integer
          responses:
            200:
              description: accepted; the new client (and case) of the receiver
            404:
              description: not a referral of the user's partners
            422:
              description: refused with the reason (e.g. consent withdrawn, not open)
        """
        body = self._body() or {}
        consent = body.get("counselling_consent")
        if consent is not None and not isinstance(consent, dict):
            return self.response(422, message=_("counselling_consent must be an object."),
                                 field="counselling_consent")
        result, failed = self._step(service.accept, pk, consent=consent, opened_on=body.get("opened_on"))
        if failed is not None:
            return failed
        referral, client, case = result
        return self.response(200, id=referral.id, status=referral.status, client=client.id,
                             case=case.id if case is not None else None,
                             message=_("Referral #%(id)s accepted.", id=referral.id))

    @expose("/<int:pk>/decline", methods=["POST"])
    @protect()
    def decline(self, pk):
        """Decline (receiving partner) with ``{"reason"}`` (required).
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema:
              type: integer
          responses:
            200:
              description: declined
            404:
              description: not a referral of the user's partners
            422:
              description: refused with the reason
        """
        body = self._body() or {}
        referral, failed = self._step(service.decline, pk, body.get("reason"))
        if failed is not None:
            return failed
        return self.response(200, id=referral.id, status=referral.status,
                             message=_("Referral #%(id)s declined.", id=referral.id))

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @protect()
    def withdraw(self, pk):
        """Withdraw an open referral (sending partner).
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema:
              type: integer
          responses:
            200:
              description: withdrawn
            404:
              description: not a referral of the user's partners
            422:
              description: refused with the reason
        """
        referral, failed = self._step(service.withdraw, pk)
        if failed is not None:
            return failed
        return self.response(200, id=referral.id, status=referral.status,
                             message=_("Referral #%(id)s withdrawn.", id=referral.id))
