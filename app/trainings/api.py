"""REST API of the intercultural trainings (``/api/v1/training/``)."""
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.core.api import DomainModelApi
from app.security.roles import TRAININGS
from app.trainings.models import Training

_FIELDS = ["partner", "funding_period", "date", "title", "target_institution", "hours",
           "participants_female", "participants_male", "participants_diverse"]


class TrainingApi(DomainModelApi):
    resource_name = "training"
    datamodel = SQLAInterface(Training)
    class_permission_name = TRAININGS
    partner_owned = True
    optional_on_add = ("funding_period",)  # derived from the date by the model
    list_columns = ["id"] + _FIELDS
    show_columns = ["id"] + _FIELDS + ["created_at", "updated_at"]
    add_columns = _FIELDS
    edit_columns = _FIELDS
    order_columns = ["date", "title", "target_institution"]
    search_columns = ["partner", "funding_period", "date", "title", "target_institution"]
    base_order = ("date", "desc")
