"""The rules of referrals, stated once for the inbox pages, the REST API and the erasure.

Every function works in the caller's transaction and raises ``DomainError`` (a rule, 422) or
``ScopeError`` (another partner's record, 404); the caller commits or rolls back and answers with
``app.core.refusals.refusal_for`` like every other refused write.
"""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from app.cases.models import Case, age_band_on
from app.clients.consent import Consent, _withdrawn_on, current_text_version, has_consent
from app.clients.models import Client
from app.core.errors import DomainError, ScopeError
from app.core.field_labels import Refusals
from app.core.models import check_length, programme_window, utcnow
from app.partners.models import Partner
from app.referrals import handover
from app.referrals.models import REFERRAL_OFFERS, Referral, ReferralIntake, ReferralPayload
from app.security import audit
from app.security.scoping import current_scope, log_denied

NO_CONSENT = _l("The client has not consented to passing data to another partner, so it cannot be referred. "
                "Record the referral consent first.")
CONSENT_GONE = _l("The client has withdrawn the consent to passing data to another partner since the referral "
                  "was sent: it can no longer be accepted. Decline it with a reason.")
RECEIVER_ONLY = _l("Only counselling staff of the receiving partner can accept or decline a referral.")
SENDER_ONLY = _l("Only counselling staff of the sending partner can withdraw a referral.")
REASON_REQUIRED = _l("Please give a reason.")
#: Client fields copied to the receiver's new client in any case (statistical; birth date for the age band).
STATISTICAL_CLIENT_FIELDS = ("birth_date", "gender", "citizenship", "second_citizenship", "country_of_birth",
                             "residence_state", "year_of_entry", "residence_status", "german_level",
                             "employment_status", "counselling_language")
#: Copied only when the receiver records the client's counselling consent (``check_personal_data``).
PERSONAL_CLIENT_FIELDS = ("first_name", "last_name")
STATISTICAL_CASE_FIELDS = ("qualification_type", "qualification_country", "qualification_year",
                           "reference_occupation_id", "regulated", "legal_basis")
PERSONAL_CASE_FIELDS = ("qualification_title",)  # free text, erased like notes


def _as_id(value, field):
    if isinstance(value, bool) or value in (None, ""):
        raise DomainError(_l("%(field)s is required.", field=field), field=field)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise DomainError(_l("“%(value)s” is not an id.", value=value), field=field) from None
    if not 0 < number < 2 ** 31:
        raise ScopeError(field)
    return number


def _text(value, field):
    """Text from a form or JSON: a string or nothing (a list or number is refused at its field)."""
    if value is not None and not isinstance(value, str):
        raise DomainError(_l("“%(value)s” is not a text.", value=value), field=field)
    return value


def _day(value, field):
    """A date from a form or JSON (``21.10.2013`` or ISO), refused at its field."""
    from app.core.dates import DateInputError, parse_date

    if value is not None and not isinstance(value, (str, date)):
        raise DomainError(_l("“%(value)s” is not a valid date.", value=value), field=field)
    try:
        return parse_date(value)
    except DateInputError as error:
        raise DomainError(str(error), field=field) from None


def initials_of(client):
    """"A. H." of Amina Haddad; None for a client counselled without names."""
    parts = [name.strip()[0].upper() + "." for name in (client.first_name, client.last_name) if name and name.strip()]
    return " ".join(parts) or None


def consent_problem(client):
    """Why ``client`` cannot be referred now (the message), or None: the referral consent rule."""
    if has_consent(client, "referral"):
        return None
    withdrawn = _withdrawn_on(client, "referral", date.today())
    if withdrawn is not None:
        return _l("The client withdrew the consent to passing data to another partner on %(day)s, so it cannot "
                  "be referred. Record a new referral consent first.", day=withdrawn.strftime("%d.%m.%Y"))
    return NO_CONSENT


def target_partners(session, client_partner_id):
    """The partners a client can be referred to: every other active partner of the network."""
    return session.scalars(select(Partner).where(Partner.active.is_(True), Partner.id != client_partner_id)
                           .order_by(Partner.name)).all()


def refer(session, user, client, to_partner, offer, reason, case=None):
    """Staff of the client's partner refer it (optionally with one of its cases) to another partner.

    The agreed fields are snapshot into the sender-owned payload; the referral row carries only the
    initials, the age band and the reference occupation to the receiver."""
    client_id = _as_id(client, "client")
    found = session.scalars(select(Client).where(Client.id == client_id)).first()
    if found is None:
        log_denied("Client", None)
        raise ScopeError("client")
    client = found
    if not current_scope().may_write(client.partner_id):
        log_denied(client, client.partner_id)
        raise ScopeError("client")
    refused = Refusals()
    if client.erased_at is not None:
        refused.add(_l("This client has been erased (anonymised) and cannot be referred."), field="client")
    case_obj = None
    if case not in (None, ""):
        case_obj = session.scalars(select(Case).where(Case.id == _as_id(case, "case"),
                                                      Case.client_id == client.id)).first()
        if case_obj is None:
            refused.add(_l("The case does not belong to this client."), field="case")
    target = None
    if to_partner in (None, ""):
        refused.add(_l("Choose the partner the client is referred to."), field="to_partner")
    else:
        target = session.get(Partner, _as_id(to_partner, "to_partner"))
        if target is None:
            refused.add(_l("There is no partner with this id."), field="to_partner")
        elif target.id == client.partner_id:
            refused.add(_l("A client cannot be referred to its own partner; choose another partner."),
                        field="to_partner")
        elif not target.active:
            refused.add(_l("%(partner)s is no longer active in the network.", partner=target.name),
                        field="to_partner")
    if not isinstance(offer, str) or offer not in REFERRAL_OFFERS:
        refused.add(_l("Choose the offer the client is referred to."), field="offer")
    try:
        reason = check_length("reason", _text(reason, "reason"), 2000)
    except DomainError as error:
        refused.extend(error)
    if not reason:
        refused.add(REASON_REQUIRED, field="reason")
    problem = consent_problem(client)
    if problem is not None:
        refused.add(problem, field="client")
    if target is not None and not refused and session.scalar(
            select(func.count()).select_from(ReferralPayload).join(Referral, Referral.id == ReferralPayload.referral_id)
            .where(ReferralPayload.client_id == client.id, Referral.to_partner_id == target.id,
                   Referral.status == "open")):
        refused.add(_l("This client has already been referred to %(partner)s and the referral is still open.",
                       partner=target.name), field="to_partner")
    refused.raise_any()
    occupation = case_obj.reference_occupation_id if case_obj is not None else session.scalar(
        select(Case.reference_occupation_id).where(Case.client_id == client.id,
                                                   Case.reference_occupation_id.is_not(None))
        .order_by(Case.opened_on.desc(), Case.id.desc()).limit(1))
    referral = Referral(
        from_partner_id=client.partner_id, to_partner_id=target.id, status="open", offer=offer, reason=reason,
        referred_on=date.today(), initials=initials_of(client),
        age_band=age_band_on(client.birth_date, date.today()) if client.birth_date else None,
        reference_occupation_id=occupation, with_case=case_obj is not None,
        created_by_id=getattr(user, "id", None))
    session.add(referral)
    payload = ReferralPayload(referral=referral, partner_id=client.partner_id, client_id=client.id,
                              case_id=case_obj.id if case_obj is not None else None,
                              **{name: getattr(client, name) for name in PERSONAL_CLIENT_FIELDS + STATISTICAL_CLIENT_FIELDS})
    if case_obj is not None:
        for name in STATISTICAL_CASE_FIELDS + PERSONAL_CASE_FIELDS:
            setattr(payload, name, getattr(case_obj, name))
    session.add(payload)
    session.flush()
    return referral


def run_step(session, user, step, *args, **kwargs):
    """One step (refer, accept, decline, withdraw) in one transaction, for the inbox and the API alike:
    ``(result, None)`` once committed, or ``(None, error)`` rolled back; the caller answers the error
    (a ``ScopeError``: another partner's record, 404; any other refusal through ``refusal_for``)."""
    from app.core.refusals import REFUSED

    try:
        result = step(session, user, *args, **kwargs)
        session.commit()
        return result, None
    except REFUSED as error:
        session.rollback()
        return None, error


def _referral(session, pk):
    referral = session.scalars(select(Referral).where(Referral.id == _as_id(pk, "id"))).first()
    if referral is None:
        log_denied("Referral", None)
        raise ScopeError("referral")
    return referral


def _as_receiver(referral):
    scope = current_scope()
    if not scope.may_write(referral.to_partner_id):
        raise DomainError(RECEIVER_ONLY)
    if referral.status != "open":
        raise DomainError(_l("This referral is no longer open (%(status)s).", status=referral.status_label))


def default_opening_day():
    """Today, or the programme's last day once it has ended (a case must lie in the programme)."""
    first, last = programme_window()
    return min(max(date.today(), first), last)


def accept(session, user, pk, consent=None, opened_on=None):
    """The receiving partner's Staff accept: a NEW client (and case) under the receiver, linked to
    the referral through ``ReferralIntake``.

    Names and the qualification's title are copied only if the receiver records the client's own
    counselling consent (``consent``: ``given_on``, ``given_how``); otherwise the new client holds the
    statistical fields alone (anonymous counselling, ``check_personal_data``). The referral consent
    at the sender is checked again here, in the database (``handover``)."""
    referral = _referral(session, pk)
    _as_receiver(referral)
    handed = handover.payload_for(session, referral)
    if handed is None:
        raise ScopeError("referral payload")
    consent_ok, fields = handed
    if not consent_ok:
        raise DomainError(CONSENT_GONE)
    new_client = Client(partner_id=referral.to_partner_id,
                        **{name: fields.get(name) for name in STATISTICAL_CLIENT_FIELDS})
    if not new_client.gender:
        new_client.gender = "not_stated"
    personal = consent is not None
    opened_on = _day(opened_on, "opened_on")
    if personal:
        given_on = _day(consent.get("given_on"), "given_on") or date.today()
        given_how = _text(consent.get("given_how"), "given_how")
        new_client.consents.append(Consent(
            purpose="counselling", given_on=given_on, given_how=given_how,
            language="de", text_version=current_text_version(session, "counselling", "de"),
            partner_id=referral.to_partner_id))
        for name in PERSONAL_CLIENT_FIELDS:
            setattr(new_client, name, fields.get(name))
    session.add(new_client)
    new_case = None
    if referral.with_case:
        new_case = Case(partner_id=referral.to_partner_id, client=new_client,
                        opened_on=opened_on or default_opening_day(),
                        **{name: fields.get(name) for name in STATISTICAL_CASE_FIELDS})
        if personal:
            new_case.qualification_title = fields.get("qualification_title")
        session.add(new_case)
    referral.status = "accepted"
    referral.decided_on = date.today()
    referral.decided_by_id = getattr(user, "id", None)
    session.flush()
    session.add(ReferralIntake(partner_id=referral.to_partner_id, referral_id=referral.id, client_id=new_client.id,
                               case_id=new_case.id if new_case is not None else None, accepted_at=utcnow(),
                               with_personal_fields=personal))
    session.flush()
    return referral, new_client, new_case


def decline(session, user, pk, reason):
    """The receiving partner's Staff decline, with a reason (required); nothing is copied."""
    referral = _referral(session, pk)
    _as_receiver(referral)
    reason = check_length("decline_reason", _text(reason, "reason"), 2000)
    if not reason:
        raise DomainError(REASON_REQUIRED, field="reason")
    referral.status = "declined"
    referral.decline_reason = reason
    referral.decided_on = date.today()
    referral.decided_by_id = getattr(user, "id", None)
    session.flush()
    return referral


def withdraw(session, user, pk):
    """The sending partner's Staff take back an open referral."""
    referral = _referral(session, pk)
    if not current_scope().may_write(referral.from_partner_id):
        raise DomainError(SENDER_ONLY)
    if referral.status != "open":
        raise DomainError(_l("This referral is no longer open (%(status)s).", status=referral.status_label))
    referral.status = "withdrawn"
    referral.decided_on = date.today()
    session.flush()
    return referral


def listing(session, limit=500):
    """The user's referrals, newest first: (received, sent), each through the one scope."""
    scope = current_scope()
    base = select(Referral).order_by(Referral.referred_on.desc(), Referral.id.desc()).limit(limit)
    if scope.partner_ids is None:
        everything = session.scalars(base).all()
        return everything, everything
    ids = sorted(scope.partner_ids)
    received = session.scalars(base.where(Referral.to_partner_id.in_(ids))).all()
    sent = session.scalars(base.where(Referral.from_partner_id.in_(ids))).all()
    return received, sent


#: Seconds a menu badge's count is kept per process and partner set (a write of a referral in this
#: process drops them at once; another worker's shows within this time).
BADGE_TTL = 10.0
_badge_counts = {}  # (database, partner ids) -> (expires at, count)


def open_received_count(session):
    """The menu badge: open referrals addressed to partners where the user is Staff.

    Shown on every page of a Staff user, so the count is kept for ``BADGE_TTL`` seconds per
    partner set instead of being counted on each page (one statement per page at 1M cases)."""
    import time

    scope = current_scope()
    if scope.write_ids is not None and not scope.write_ids:
        return 0
    ids = None if scope.write_ids is None else tuple(sorted(scope.write_ids))
    key = (str(session.get_bind().url), ids)
    now = time.monotonic()
    hit = _badge_counts.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    query = select(func.count()).select_from(Referral).where(Referral.status == "open")
    if ids is not None:
        query = query.where(Referral.to_partner_id.in_(ids))
    count = session.scalar(query) or 0
    if len(_badge_counts) >= 1000:
        _badge_counts.clear()
    _badge_counts[key] = (now + BADGE_TTL, count)
    return count


def forget_badge_counts():
    _badge_counts.clear()


@event.listens_for(Session, "after_flush")
def _referral_written(session, _flush_context):
    if any(isinstance(obj, Referral) for obj in (*session.new, *session.dirty, *session.deleted)):
        _badge_counts.clear()


@event.listens_for(Session, "do_orm_execute")
def _referrals_written_in_bulk(state):
    if (state.is_insert or state.is_update or state.is_delete) and any(
            mapper.class_ is Referral for mapper in state.all_mappers):
        _badge_counts.clear()


def sender_details(session, referrals):
    """``{referral id: payload}`` of the user's own sent referrals (its own client and case ids)."""
    ids = [r.id for r in referrals]
    if not ids:
        return {}
    return {p.referral_id: p for p in session.scalars(
        select(ReferralPayload).where(ReferralPayload.referral_id.in_(ids)))}


def receiver_details(session, referrals):
    """``{referral id: intake}`` of the user's own received, accepted referrals (its new client)."""
    ids = [r.id for r in referrals]
    if not ids:
        return {}
    return {i.referral_id: i for i in session.scalars(
        select(ReferralIntake).where(ReferralIntake.referral_id.in_(ids)))}


def referrals_of_client(session, client):
    """The referrals that passed ``client``'s data to another partner (its Art. 15 report: recipients)."""
    return session.scalars(select(Referral).join(ReferralPayload, ReferralPayload.referral_id == Referral.id)
                           .where(ReferralPayload.client_id == client.id)
                           .order_by(Referral.referred_on, Referral.id)).unique().all()


def erase(session, client):
    """Part of the client's erasure (``app.clients.erasure``): its referrals keep their status but
    lose every personal value (payload names, birth date and title; initials; free-text reasons), and
    an open one is withdrawn (nothing is left to hand over)."""
    payloads = ReferralPayload.__table__
    referral_ids = session.connection().execute(
        select(payloads.c.referral_id).where(payloads.c.client_id == client.id)).scalars().all()
    if not referral_ids:
        return []
    session.connection().execute(update(payloads).where(payloads.c.client_id == client.id).values(
        **{name: None for name in ReferralPayload.PERSONAL + ("birth_date",)}))
    referrals = Referral.__table__
    session.connection().execute(update(referrals).where(referrals.c.id.in_(referral_ids)).values(
        initials=None, reason=None, decline_reason=None, updated_at=utcnow()))
    session.connection().execute(update(referrals).where(
        referrals.c.id.in_(referral_ids), referrals.c.status == "open").values(status="withdrawn",
                                                                              decided_on=date.today()))
    sides = session.connection().execute(select(referrals.c.id, referrals.c.from_partner_id,
                                                referrals.c.to_partner_id).where(referrals.c.id.in_(referral_ids))).all()
    audit.write_events(session, [
        {"action": "erase", "table_name": Referral.__tablename__, "record_id": str(rid), "partner_id": partner_id,
         "old_values": None, "new_values": {"erased": ["initials", "reason", "decline_reason"]}}
        for rid, sender, receiver in sides for partner_id in (sender, receiver)])
    for obj in list(session.identity_map.values()):
        if isinstance(obj, (Referral, ReferralPayload)):
            session.expire(obj)
    return referral_ids


