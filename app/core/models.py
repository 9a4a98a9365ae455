"""Shared column helpers and mixins for the domain models.

Field rules live in the model layer (``@validates`` and ``validate()``) so that the UI, the REST API,
the CLI and the importer refuse the same bad input with the same translated message.
"""
from datetime import datetime, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapper, Session, declared_attr, relationship

from app.core.errors import DomainError
from app.core.field_labels import Refusals, field_label


def trigram_index(name, column, partner=False):
    """A pg_trgm GIN index, so that list filters ``ILIKE '%…%'`` (FAB's "contains" and "starts
    with") use an index instead of scanning the table (DESIGN.md §7). Other databases get a plain
    index on the column. The extension is created by migration b7c1e2d3f4a5.

    ``partner``: the index leads with ``partner_id`` (``btree_gin``, migration a0b1c2d3e4f5), so
    that a search restricted to some partners applies that restriction inside the index scan."""
    columns = ("partner_id", column) if partner else (column,)
    return Index(name, *columns, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})


def utcnow():
    return datetime.now(timezone.utc).replace(tzinfo=None)


class TimestampMixin:
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class PartnerScoped:
    """Marker of every model whose rows belong to a partner (``partner_id``).

    The partner scope (app.security.scoping) restricts every ORM query over subclasses of this
    marker, so a new partner-owned model is scoped without any code of its own.

    ``scope_kind`` says which of the user's partner sets a read covers: ``personal`` (default:
    where its membership role is Staff or PartnerAdmin; also the audit trail and the read-access
    log, which hold personal data and which Staff's history tab and Art. 15 report read) or
    ``aggregate`` (Management or more: data without persons, such as trainings and funding).
    ``write_scope_kind`` says where the record may be created or changed: ``write`` (Staff) or
    ``admin`` (memberships).
    """

    scope_kind = "personal"
    write_scope_kind = "write"


class PartnerOwned(PartnerScoped):
    """Columns of a record that always belongs to exactly one partner."""

    #: A new record of this kind needs a partner that is still active (has not left the network):
    #: the partner choices offer only those (``selectable_partners``), and every channel that writes
    #: (forms, quick entry, API, import, CLI) is refused alike (``check_active_partner``). Records
    #: that concern people already counselled (consents, erasure requests) keep working.
    new_records_need_active_partner = False

    @declared_attr
    def partner_id(cls):
        return Column(Integer, ForeignKey("partner.id"), nullable=False, index=True)

    @declared_attr
    def partner(cls):
        return relationship("Partner", lazy="joined", innerjoin=True)


class Validated:
    """Models with cross-field rules implement ``validate()``; it runs before every flush."""

    def validate(self):  # pragma: no cover - overridden
        pass


@event.listens_for(Mapper, "mapper_configured")
def _enumerations_are_validated(mapper, cls):
    """Every column declared with ``Enumeration.column_info`` refuses keys outside its enumeration
    (``check_enum``) on every assignment: forms, API, import and CLI alike, no ``@validates`` needed."""
    from app.core.enums import column_enumeration

    for prop in mapper.column_attrs:
        declared = column_enumeration(prop.columns[0])
        if declared is None or prop.key in mapper.validators:
            continue
        enumeration, required = declared

        def validate(target, value, oldvalue, initiator, enumeration=enumeration, key=prop.key, required=required):
            return check_enum(enumeration, key, value, nullable=not required)

        event.listen(getattr(cls, prop.key), "set", validate, retval=True)


@event.listens_for(Session, "before_flush")
def _validate_before_flush(session, flush_context, instances):
    """Every new or changed record is validated; the refusals of all of them come at once (a quick
    entry's client, case and contact)."""
    refused = Refusals()
    new = set(session.new)
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Validated):
            valid = refused.run(obj.validate)  # sets derived values, e.g. a case's partner (its client's)
            if valid and obj in new and getattr(obj, "new_records_need_active_partner", False):
                refused.run(check_active_partner, session, obj)
    refused.raise_any()


def check_active_partner(session, obj):
    """No new record at a partner that has left the network (``Partner.active`` false)."""
    from app.partners.models import Partner

    partner = obj.__dict__.get("partner")
    if partner is None and obj.partner_id is not None:
        with session.no_autoflush:
            partner = session.get(Partner, obj.partner_id)
    if partner is not None and not partner.active:
        raise DomainError(_l("%(partner)s is no longer active in the network: no new records can be created "
                             "for it.", partner=partner.name), field="partner")


def check_enum(enumeration, key, value, nullable=True):
    if value in (None, ""):
        if nullable:
            return None
        raise DomainError(_l("%(field)s is required.", field=field_label(key)), field=key)
    if value not in enumeration:
        raise DomainError(
            _l("Unknown value “%(value)s” for %(field)s.", value=value, field=field_label(key)), field=key
        )
    return value


def check_length(key, value, maximum, nullable=True, minimum=0):
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if nullable:
            return None
        raise DomainError(_l("%(field)s is required.", field=field_label(key)), field=key)
    value = str(value).strip()
    if len(value) > maximum:
        raise DomainError(
            _l("%(field)s is longer than %(max)s characters.", field=field_label(key), max=maximum), field=key
        )
    if len(value) < minimum:
        raise DomainError(
            _l("%(field)s needs at least %(min)s characters.", field=field_label(key), min=minimum), field=key
        )
    return value


def check_country(key, value, nullable=True):
    """ISO 3166-1 alpha-2, checked against the CLDR territory list that the catalogue is built from."""
    from app.catalogues.countries import is_country_code

    if value in (None, ""):
        if nullable:
            return None
        raise DomainError(_l("%(field)s is required.", field=field_label(key)), field=key)
    code = str(value).strip().upper()
    if not is_country_code(code):
        raise DomainError(
            _l("“%(value)s” is not an ISO 3166 country code.", value=value), field=key
        )
    return code


def programme_window():
    from flask import current_app, has_app_context

    from config import Config

    if has_app_context():
        return current_app.config["PROGRAMME_START"], current_app.config["PROGRAMME_END"]
    return Config.PROGRAMME_START, Config.PROGRAMME_END


def format_date(value):
    return value.strftime("%d.%m.%Y") if value else ""
