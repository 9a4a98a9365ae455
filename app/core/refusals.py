"""One mapping from a refused write to what the user is told: ``refusal_for(error)`` → ``Refusal``
(status, field, message).

The HTML views (``IqModelView`` saves, deletes and actions, the quick entry), the REST API
(``DomainModelApi``) and the application's error handlers all ask this function, so a rule broken in a
form, over the API, in the import or on the command line reads the same and gets the same status:

| exception                          | status | field             | message                              |
| ---------------------------------- | ------ | ----------------- | ------------------------------------ |
| ``DomainErrors`` (several fields)  | 422    | the first error's | each error's (``refusals()``)        |
| ``DomainError``                    | 422    | the error's       | the error's (translated)             |
| ``ScopeError``                     | 404    | –                 | "Not found." (never 403)             |
| ``StaleDataError``                 | 409    | –                 | ``STALE_MESSAGE``                    |
| ``DataError`` (value the DB refuses)| 422   | –                 | ``VALUE_OUT_OF_RANGE``               |
| ``IntegrityError``                 | 409    | –                 | ``conflict`` (default ``CONFLICT_MESSAGE``; deletes: ``IN_USE_MESSAGE``) |
| any other ``SQLAlchemyError``      | 500    | –                 | ``DATABASE_MESSAGE``                 |

Database details go to the log, never to the user. The caller rolls its session back.
Anything else (a bug) is not a refusal: ``None``, and the caller lets it propagate.
"""
import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from app.core.errors import DomainError, ScopeError

log = logging.getLogger(__name__)

STALE_MESSAGE = _l("This record was changed by someone else in the meantime. Please reload it and "
                   "enter your changes again.")
CONFLICT_MESSAGE = _l("The record conflicts with an existing one (for example a duplicate code).")
IN_USE_MESSAGE = _l("The record is still used by other records and cannot be deleted.")
DATABASE_MESSAGE = _l("A database error occurred and nothing was changed. It has been logged.")
VALUE_OUT_OF_RANGE = _l("A value is out of range or has an invalid format.")
NOT_FOUND = _l("Not found.")


@dataclass(frozen=True)
class Refusal:
    status: int
    field: object  # the model field concerned, or None
    message: object  # a (lazy) string; for several fields the DomainErrors itself

    def __str__(self):
        return str(self.message)

    def as_json(self):
        """The API's body: ``{"message": ..., "field": ...}`` (``field`` only when known)."""
        body = {"message": str(self.message)}
        if self.field:
            body["field"] = self.field
        return body


def refusal_for(error, conflict=CONFLICT_MESSAGE, where=""):
    """The refusal that ``error`` stands for, or None if it is no refusal (see the module's table)."""
    from app.core.field_labels import DomainErrors

    if isinstance(error, DomainErrors):
        return Refusal(422, error.field, error)
    if isinstance(error, DomainError):
        return Refusal(422, error.field, error.message)
    if isinstance(error, ScopeError):
        return Refusal(404, None, NOT_FOUND)
    if isinstance(error, StaleDataError):
        return Refusal(409, None, STALE_MESSAGE)
    if isinstance(error, DataError):
        log.warning("value refused by the database %s: %s", where, error.orig)
        return Refusal(422, None, VALUE_OUT_OF_RANGE)
    if isinstance(error, IntegrityError):
        log.warning("write refused %s: %s", where, error.orig)
        return Refusal(409, None, conflict)
    if isinstance(error, SQLAlchemyError):
        log.error("database error %s", where, exc_info=error)
        return Refusal(500, None, DATABASE_MESSAGE)
    return None


#: What the callers catch: every exception ``refusal_for`` maps.
REFUSED = (DomainError, ScopeError, StaleDataError, SQLAlchemyError)
