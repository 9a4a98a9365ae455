"""The "New counselling" form: a case, its first contact and, if needed, a new client, in paper-form order.

The field order is the tab order (the order of the national IQ documentation sheet): the contact,
the person, how they came, the qualification, the recognition. Only form-level checks live here
(dates through app.core.dates, known catalogue entries); the rules of the domain are the models' (DomainError).
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional
from wtforms.widgets import Select

from app.cases.models import Case, Contact
from app.clients.consent_forms import consent_fields
from app.clients.models import Client
from app.core.enums import column_enumeration
from app.core.dates import DateInputField
from app.core.field_labels import Required
from app.core.forms import AjaxRelatedField, LanguageField
from app.entry.fields import CLIENT_SEARCH, CountryField, OccupationField

CLIENT_FIELDS = ["first_name", "last_name", "birth_date", "gender", "citizenship", "country_of_birth",
                 "counselling_language"]
CASE_FIELDS = ["enquirer", "referral_source", "qualification_title", "qualification_type",
               "qualification_country", "qualification_year", "reference_occupation", "regulated",
               "competent_body", "outcome", "notes"]


def _optional_int(value):
    return int(value) if value not in (None, "") else None


def _yes_no(value):
    return {"yes": True, "no": False}.get(value) if not isinstance(value, bool) else value


def _enumeration(model, column):
    """The enumeration the model's column declares (``Enumeration.column_info``): the one declaration."""
    return column_enumeration(model.__table__.c[column])[0]


def _enum(label, model, column):
    enumeration = _enumeration(model, column)
    return SelectField(label, choices=lambda: enumeration.choices(blank=True), validate_choice=False,
                       filters=[lambda value: value or None])


class QuickEntryForm(FlaskForm):
    partner = SelectField(_l("Partner"), coerce=_optional_int, validate_choice=False)
    opened_on = DateInputField(_l("Date of the first contact"), [Required()], programme_window=True,
                               render_kw={"autofocus": True, "aria-required": "true"})
    channel = SelectField(_l("Channel"), choices=lambda: _enumeration(Contact, "channel").choices(),
                          validate_choice=False)
    minutes = IntegerField(_l("Minutes"), [Optional()])
    client = AjaxRelatedField(_l("Existing client"), source=CLIENT_SEARCH, endpoint="QuickEntryView.options",
                              description=_l("Name, client number or birth date"))
    first_name = StringField(_l("First name"))
    last_name = StringField(_l("Last name"))
    birth_date = DateInputField(_l("Birth date"), [Optional()])
    gender = _enum(_l("Gender"), Client, "gender")
    citizenship = CountryField(_l("Citizenship"))
    country_of_birth = CountryField(_l("Country of birth"))
    counselling_language = LanguageField(_l("Counselling language"), widget=Select())
    enquirer = _enum(_l("Enquirer"), Case, "enquirer")
    referral_source = _enum(_l("Referral source"), Case, "referral_source")
    qualification_title = StringField(_l("Qualification (original title)"))
    qualification_type = _enum(_l("Type of qualification"), Case, "qualification_type")
    qualification_country = CountryField(_l("Country of qualification"))
    qualification_year = IntegerField(_l("Year completed"), [Optional()])
    reference_occupation = OccupationField(_l("Reference occupation"))
    regulated = SelectField(_l("Regulated"), choices=[("", "—"), ("yes", _l("yes")), ("no", _l("no"))],
                            coerce=_yes_no, validate_choice=False)
    competent_body = SelectField(_l("Competent body"), coerce=_optional_int, validate_choice=False)
    outcome = _enum(_l("Outcome"), Case, "outcome")
    notes = TextAreaField(_l("Notes"))
    create_anyway = BooleanField(_l("Create a new client anyway"))

    def new_client_given(self):
        """A new client is entered by its birth date (anonymous counselling) and, with the
        counselling consent, its names."""
        return any(self[name].data for name in ("first_name", "last_name", "birth_date"))


# Checkbox, text version (default: the current text), how and when given: as on the client form.
for _name, _field in consent_fields().items():
    setattr(QuickEntryForm, _name, _field)
