"""Intercultural-competence trainings; the funding period follows from the date (model layer)."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.core.forms import partner_field
from app.core.display import date_formatters
from app.core.views import BulkDeleteMixin, IqModelView
from app.security.roles import TRAININGS
from app.trainings.models import Training

_FIELDS = ["date", "title", "target_institution", "hours", "participants_female", "participants_male",
           "participants_diverse"]


class TrainingView(BulkDeleteMixin, IqModelView):
    singular = _l("Training")
    plural = _l("Trainings")
    datamodel = SQLAInterface(Training)
    class_permission_name = TRAININGS
    owning_partner = True
    base_order = ("date", "desc")
    list_columns = ["date", "title", "target_institution", "hours", "participants", "partner"]
    search_columns = ["date", "title", "target_institution", "funding_period", "partner"]
    add_columns = ["partner"] + _FIELDS
    edit_columns = _FIELDS
    show_fieldsets = [
        (_l("Training"), {"fields": ["partner", "funding_period", "date", "title", "target_institution",
                                     "hours"]}),
        (_l("Participants"), {"fields": ["participants_female", "participants_male", "participants_diverse",
                                         "participants"]}),
    ]
    label_columns = {
        "partner": _l("Partner"), "funding_period": _l("Funding period"), "date": _l("Date"),
        "title": _l("Title"), "target_institution": _l("Target institution"), "hours": _l("Hours"),
        "participants_female": _l("Participants (female)"), "participants_male": _l("Participants (male)"),
        "participants_diverse": _l("Participants (diverse)"), "participants": _l("Participants"),
    }
    add_form_extra_fields = {"partner": partner_field(_l("Partner"))}  # target institution: from the model
    formatters_columns = {**date_formatters("date")}
