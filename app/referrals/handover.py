"""Handing the sender's payload to the receiver — the one cross-partner read of referrals.

PostgreSQL: the receiver's row-level security hides ``referral_payload`` and the origin client's
consents, so both come through SECURITY DEFINER functions (migration f1e2d3c4b5a6) that check the
referral is open and addressed to the caller's partners, and that the referral consent still stands.
SQLite has no row-level security: the ORM scope would hide the rows, so the same checks are made here
and the rows are read explicitly, unscoped, for exactly this referral.
"""
import json
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, text

from app.clients.consent import Consent
from app.core.errors import DomainError
from app.referrals.models import ReferralPayload
from app.security.scoping import UNSCOPED, current_scope

NOT_INSTALLED = _l("Referrals cannot be accepted on this database: the handover function is not installed "
                   "(see the README, Referrals).")
_UNSCOPED = {UNSCOPED: True}
#: The sender's own ids never leave the handover (the receiver has no use for them).
SENDER_IDS = ("id", "referral_id", "partner_id", "client_id", "case_id")


def _postgres(session):
    return session.get_bind().dialect.name == "postgresql"


def _installed(session, signature):
    return session.execute(text("SELECT to_regprocedure(:f) IS NOT NULL"), {"f": signature}).scalar()


def _consent_ok(session, client_ids):
    """The clients among ``client_ids`` with an unwithdrawn referral consent today (unscoped read)."""
    if not client_ids:
        return set()
    consents = session.execute(
        select(Consent.client_id, Consent.given_on, Consent.withdrawn_on)
        .where(Consent.client_id.in_(client_ids), Consent.purpose == "referral"),
        execution_options=_UNSCOPED).all()
    today = date.today()
    return {cid for cid, given, withdrawn in consents if given <= today and (withdrawn is None or withdrawn > today)}


def payload_for(session, referral):
    """``(consent_ok, fields)`` of an open referral addressed to the caller's partners, else None.

    ``fields`` (the payload's columns) only when the consent stands."""
    if _postgres(session):
        if not _installed(session, "iq_referral_handover(integer)"):
            raise DomainError(NOT_INSTALLED)
        row = session.execute(text("SELECT consent_ok, payload FROM iq_referral_handover(:id)"),
                              {"id": referral.id}).first()
        if row is None:
            return None
        fields = row.payload if isinstance(row.payload, dict) or row.payload is None else json.loads(row.payload)
        if fields and fields.get("birth_date"):
            fields["birth_date"] = date.fromisoformat(fields["birth_date"])
        return bool(row.consent_ok), fields
    if referral.status != "open" or not current_scope().allows(referral.to_partner_id):
        return None
    payload = session.scalars(select(ReferralPayload).where(ReferralPayload.referral_id == referral.id),
                              execution_options=_UNSCOPED).first()
    if payload is None:
        return None
    ok = payload.client_id in _consent_ok(session, [payload.client_id])
    fields = {c.key: getattr(payload, c.key) for c in ReferralPayload.__table__.c
              if c.key not in SENDER_IDS} if ok else None
    session.expunge(payload)  # never written back, never seen again through this session
    return ok, fields


def consent_states(session, referrals):
    """``{referral id: whether the referral consent still stands}`` for the open ``referrals``
    (loaded through the scope, so the caller is one of their sides)."""
    ids = [r.id for r in referrals if r.status == "open"]
    if not ids:
        return {}
    if _postgres(session):
        if not _installed(session, "iq_referral_consent_states(integer[])"):
            return {}
        rows = session.execute(text("SELECT referral_id, consent_ok FROM iq_referral_consent_states(:ids)"),
                               {"ids": ids}).all()
        return {rid: bool(ok) for rid, ok in rows}
    pairs = session.execute(select(ReferralPayload.referral_id, ReferralPayload.client_id)
                            .where(ReferralPayload.referral_id.in_(ids)), execution_options=_UNSCOPED).all()
    ok = _consent_ok(session, [cid for _rid, cid in pairs])
    return {rid: cid in ok for rid, cid in pairs}
