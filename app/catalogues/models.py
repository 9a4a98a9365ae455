"""Reference catalogues shared by all partners: reference occupations, competent bodies, countries."""
from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship, validates

from app.core.enums import AUTHORITY_KINDS, BODY_STATES, LEGAL_BASES
from app.core.models import check_length
from flask_appbuilder import Model
from flask_babel import get_locale


def _german():
    try:
        locale = get_locale()
    except Exception:  # outside a request: German is the default
        return True
    return locale is None or str(locale).startswith("de")


class CompetentBody(Model):
    __tablename__ = "competent_body"
    __table_args__ = (
        CheckConstraint(AUTHORITY_KINDS.check_sql("kind"), name="ck_competent_body_kind"),
        CheckConstraint(BODY_STATES.check_sql("state"), name="ck_competent_body_state"),
    )

    id = Column(Integer, primary_key=True)
    key = Column(String(64), nullable=False, unique=True)
    name = Column(String(300), nullable=False)
    kind = Column(String(40), nullable=False, index=True, info=AUTHORITY_KINDS.column_info(required=True))
    state = Column(String(2), nullable=False, info=BODY_STATES.column_info(required=True))
    city = Column(String(100))
    source = Column(Text)
    unverified = Column(Boolean, nullable=False, default=False)

    @validates("name")
    def _v_name(self, key, value):
        return check_length(key, value, 300, nullable=False)

    @property
    def kind_label(self):
        return AUTHORITY_KINDS.label(self.kind)

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"<CompetentBody {self.key}>"


class ReferenceOccupation(Model):
    __tablename__ = "reference_occupation"
    __table_args__ = (
        CheckConstraint(LEGAL_BASES.check_sql("legal_basis"), name="ck_reference_occupation_legal_basis"),
        CheckConstraint(AUTHORITY_KINDS.check_sql("authority_kind"), name="ck_reference_occupation_authority"),
    )

    id = Column(Integer, primary_key=True)
    key = Column(String(64), nullable=False, unique=True)
    name_de = Column(String(200), nullable=False, index=True)
    name_en = Column(String(200), nullable=False)
    regulated = Column(Boolean, nullable=False, default=False)
    legal_basis = Column(String(32), nullable=False, info=LEGAL_BASES.column_info(required=True))
    authority_kind = Column(String(40), nullable=False, info=AUTHORITY_KINDS.column_info(required=True))
    kldb2010 = Column(String(5))
    # The network spans two states, and the deciding body differs between them.
    competent_body_mv_id = Column(Integer, ForeignKey("competent_body.id"), index=True)
    competent_body_mv = relationship("CompetentBody", foreign_keys=[competent_body_mv_id])
    competent_body_st_id = Column(Integer, ForeignKey("competent_body.id"), index=True)
    competent_body_st = relationship("CompetentBody", foreign_keys=[competent_body_st_id])
    source = Column(Text)
    unverified = Column(Boolean, nullable=False, default=False)

    @property
    def name(self):
        return self.name_de if _german() else self.name_en

    def competent_body_for(self, state):
        """The body that decides on recognition for a client counselled in ``state`` (MV/ST)."""
        return self.competent_body_st if state == "ST" else self.competent_body_mv

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"<ReferenceOccupation {self.key}>"


class Country(Model):
    __tablename__ = "country"

    code = Column(String(2), primary_key=True)
    name_de = Column(String(100), nullable=False)
    name_en = Column(String(100), nullable=False)
    is_eu = Column(Boolean, nullable=False, default=False)

    @property
    def name(self):
        return self.name_de if _german() else self.name_en

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"<Country {self.code}>"
