"""One rule for every record bound to a funding period by a date (cases by ``opened_on``, trainings by
``date``): ``PeriodBound``.

The rule, the same for the forms, the quick entry, the REST API, the import and the CLI:

* the period is **derived** from the date when none is given (a new record), and
* **re-derived** when the date changes and the period was not changed in the same write (an edit that
  moves a case from 2013 to 2012 lands in period 2012; over the API a ``PUT`` that sends only the new
  date, or the new date with the period it had, is such an edit);
* a period that **was** chosen in the same write (a new record with a period, or an edit that changes
  the period) must contain the date, otherwise the write is refused with "… lies in funding period X,
  not in the one given" at the field ``funding_period``;
* a date that no period covers is refused at the date's field.

It runs in ``validate()`` (before every flush), so no view or API needs code of its own.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect
from sqlalchemy.orm import object_session

from app.core.errors import DomainError
from app.core.models import format_date


def _messages(column):
    """(no period covers the day, the day lies in another period): worded for the record's date."""
    if column == "opened_on":
        return (lambda day: _l("No funding period covers the opening date %(day)s.", day=day),
                lambda day, code: _l("The opening date %(day)s lies in funding period %(code)s, not in the "
                                     "one given.", day=day, code=code))
    return (lambda day: _l("No funding period covers the date %(day)s.", day=day),
            lambda day, code: _l("The date %(day)s lies in funding period %(code)s, not in the one given.",
                                 day=day, code=code))


class PeriodBound:
    """Mixin of models with ``funding_period``/``funding_period_id`` and a date column; the model's
    ``validate()`` calls ``bind_to_period()`` once the date itself has been checked."""

    #: The column whose day decides the period.
    period_date_column = "date"

    def bind_to_period(self):
        """Derive, re-derive or check the period (see the module's docstring); returns it."""
        from app.funding.models import FundingPeriod

        column = self.period_date_column
        day = getattr(self, column)
        no_period, wrong_period = _messages(column)
        session = object_session(self)
        with session.no_autoflush:
            derived = FundingPeriod.for_date(session, day)
        if derived is None:
            raise DomainError(no_period(format_date(day)), field=column)
        given = self.funding_period.id if self.funding_period is not None else self.funding_period_id
        if given is None or (given != derived.id and not self._period_chosen_now()):
            self.funding_period = derived
            # Also the column: re-derived to the period it had, the relationship shows no net change and
            # would not write the key back (a move within the year failed on NOT NULL).
            self.funding_period_id = derived.id
        elif given != derived.id:
            raise DomainError(wrong_period(format_date(day), derived.code), field="funding_period")
        return derived

    def _period_chosen_now(self):
        """Whether this write set the period itself: a new record that came with one, or an edit
        that changed it (the relationship or the key)."""
        state = inspect(self)
        if state.transient or state.pending:
            return True
        attrs = state.attrs
        return any(_changed(attrs[name].history) for name in ("funding_period", "funding_period_id"))


def _changed(history):
    """A real change: a value added that differs from the one before (assigning the same value again,
    as FAB's API merge of an unchanged field does, is no choice)."""
    added = {getattr(value, "id", value) for value in history.added or () if value is not None}
    deleted = {getattr(value, "id", value) for value in history.deleted or ()}
    return bool(added) and added != deleted
