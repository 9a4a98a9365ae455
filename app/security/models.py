"""Memberships (user × partner × role) and the audit trail."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, String,
                        UniqueConstraint)
from sqlalchemy.orm import backref, relationship

from app.core.enums import MEMBERSHIP_ROLES
from app.core.models import PartnerScoped, utcnow
from flask_appbuilder import Model


class Membership(PartnerScoped, Model):
    __tablename__ = "membership"
    write_scope_kind = "admin"  # only a PartnerAdmin of the partner (or Admin) changes memberships
    __table_args__ = (
        UniqueConstraint("user_id", "partner_id", "role", name="uq_membership_user_partner_role"),
        CheckConstraint(MEMBERSHIP_ROLES.check_sql("role"), name="ck_membership_role"),
        {"sqlite_autoincrement": True},  # ids are never reused (audit); migration d9e0f1a2b3c4
    )

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    user = relationship("User", backref=backref("memberships", cascade="all, delete-orphan"))
    partner_id = Column(Integer, ForeignKey("partner.id"), nullable=False, index=True)
    partner = relationship("Partner")
    role = Column(String(16), nullable=False, info=MEMBERSHIP_ROLES.column_info(required=True))

    @property
    def role_label(self):
        return MEMBERSHIP_ROLES.label(self.role)

    def __str__(self):
        return f"{self.partner} – {MEMBERSHIP_ROLES.label(self.role)}"


class AuditEvent(PartnerScoped, Model):
    """One change of one record; written in the same transaction as the change itself."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_table_record", "table_name", "record_id"),
        Index("ix_audit_event_partner_at", "partner_id", "at"),
        {"sqlite_autoincrement": True},  # ids are never reused (audit); migration d9e0f1a2b3c4
    )

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), index=True)
    user = relationship("User")
    actor = Column(String(100), nullable=False)
    action = Column(String(8), nullable=False)
    table_name = Column(String(64), nullable=False)
    record_id = Column(String(64), nullable=False)
    # No foreign key: the trail must outlive the records (and partners) it speaks of.
    partner_id = Column(Integer, index=True)
    partner = relationship("Partner", primaryjoin="foreign(AuditEvent.partner_id) == Partner.id",
                           viewonly=True)
    old_values = Column(JSON)
    new_values = Column(JSON)
    request_id = Column(String(64))

    def __str__(self):
        return f"{self.action} {self.table_name}#{self.record_id}"

    # The event as the UI shows it (labels, names, local time): app.security.audit_format.
    @property
    def when(self):
        from app.security.audit_format import when
        return when(self)

    @property
    def who(self):
        from app.security.audit_format import actor_label
        return actor_label(self)

    @property
    def what(self):
        from app.security.audit_format import action_label, table_label
        return f"{table_label(self.table_name)} {action_label(self.action)}"

    @property
    def record(self):
        from app.security.audit_format import record_label
        return record_label(self.table_name, self.record_id)

    @property
    def change_list(self):
        from app.security.audit_format import changes_table
        return changes_table(self)


class AccessLogEntry(PartnerScoped, Model):
    """One display of one client's personal data (or one export with names): who, when, which path.

    Append-only: SQLite refuses UPDATE/DELETE by trigger, PostgreSQL by the application role's
    missing privileges (``app.security.database_roles``). No foreign keys: the log outlives records.
    """

    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_client_at", "client_id", "at"),
        Index("ix_access_log_partner_at", "partner_id", "at"),
    )

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow)
    user_id = Column(Integer, index=True)
    actor = Column(String(100), nullable=False)
    # None for an export: one row per export, ``detail`` says which filter it applied.
    client_id = Column(Integer)
    partner_id = Column(Integer)
    path = Column(String(255), nullable=False)
    detail = Column(String(500))

    def __str__(self):
        return f"{self.actor} {self.path} client#{self.client_id}"

