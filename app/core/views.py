"""``IqModelView``: what the application changes in Flask-AppBuilder's stock ``ModelView``, in one place.

Checked against Flask-AppBuilder 5.3.0 (``tests/test_fab_overrides.py`` pins the version, the
signatures of the FAB methods overridden here and of the FAB helpers they call, and that no other
FAB method is overridden here unnoticed). Domain code states its rules in the model layer; the
helpers the views share live elsewhere (formatters: ``app.core.display``; fields:
``app.core.forms``; the mapping of refused writes: ``app.core.refusals``).

| FAB member overridden            | stock behaviour (5.3.0)                          | here                                              |
| -------------------------------- | ------------------------------------------------ | ------------------------------------------------- |
| ``__init__``                     | –                                                | pages by key, enumeration selects, field labels   |
| ``_init_titles``                 | "List Case" from the class name                  | translated titles from ``singular``/``plural``    |
| ``_init_forms``                  | ISO dates, "__None" choices, no required marks   | app.core.dates/numbers fields, "—", required marks, cached reference choices, options rendered once |
| ``_init_properties``             | "None"/"True" shown raw, text filters on keys    | default formatters, translated enumeration filters |
| ``_related_views``, ``get_init_inner_views`` | related tabs for everyone            | only the related views the user may read          |
| ``_add``, ``_edit``              | flash ``str(exception)`` and redirect (input lost) | the form again with the input and the mapped message; version check; edit: the form without related views (``iq_edit.html``) |
| ``_delete``                      | flashes the exception text (empty or SQL)        | the mapped message ("still used …")              |
| ``action``, ``action_post``      | records loaded without base filters (scope)      | every record through the partner scope (404)      |
| ``search_widget`` (attribute)    | search fields rendered on every list page        | kept per view and language (app.core.search_widget) |

New members: ``options`` (search-as-you-type endpoint), ``_save``/``_commit``/``_refuse`` (one save
path for add and edit), ``requested_partner``, ``_is_stale``, ``_flash_form_errors``, ``_run_action``.
"""
import logging
from operator import attrgetter

from flask import abort, flash, g, has_request_context, jsonify, redirect, request
from flask_appbuilder import ModelView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_filter_args
from flask_babel import LazyString, gettext as _, lazy_gettext as _l, ngettext
from wtforms.fields.core import UnboundField

from app.core.choices import cache_relation_choices, cached_choices, kept_relation_model
from app.core.dates import install_date_fields
from app.core.display import fill_default_formatters
from app.core.errors import DomainError, ScopeError
from app.core.field_labels import (DomainErrors, form_error_summary, mark_required, refusals, register_labels,
                                   use_labels)
from app.core.filters import prepare_search
from app.core.forms import declare_enumerations, use_cached_options
from app.core.listing import scaled
from app.core.numbers import install_number_fields
from app.core.refusals import CONFLICT_MESSAGE, IN_USE_MESSAGE, REFUSED, STALE_MESSAGE, refusal_for
from app.core.save_messages import ADDED, CHANGED, DELETED, record_label, saved_message
from app.core.search_widget import KeptSearchWidget
from app.security.roles import READ_WRITE
from app.security.scoping import log_denied, owning_partner_id

log = logging.getLogger(__name__)

# Form fields that are not copied onto the record as they are.
_NOT_POPULATED = {"csrf_token", "version", "partner"}


class IqModelView(ModelView):
    method_permission_name = READ_WRITE
    search_widget = KeptSearchWidget  # the search form's fields rendered once per view and language
    edit_template = "iq_edit.html"  # the form without the related views' tabs
    page_size = 25
    base_order = ("id", "desc")
    # Partner-owned records: the add form offers the user's partners, owning_partner_id decides.
    owning_partner = False
    # Column name → app.core.forms.RelatedSource for the search-as-you-type endpoint.
    ajax_sources = {}
    # Form fields that steer the save (e.g. a confirmation) but are no columns of the record.
    form_only_fields = ()
    # Search column → filter classes replacing FAB's (app.core.filters; enumerations get theirs).
    column_filters = {}

    def __init__(self, **kwargs):
        # Lists page by primary key and estimate huge unfiltered totals (app.core.listing).
        self.datamodel = scaled(type(self).datamodel, estimate_count=True)
        declare_enumerations(self)  # selects, formatters and filters of enumeration columns
        # The declared (translated) labels name the fields in the model layer's messages.
        register_labels(self.datamodel.obj, {key: label for key, label in (self.label_columns or {}).items()
                                             if isinstance(label, LazyString)})
        super().__init__(**kwargs)

    # --- search-as-you-type for AjaxRelatedField ---------------------------------------------
    @expose("/options/<column>")
    @has_access
    def options(self, column):
        source = self.ajax_sources.get(column)
        if source is None:
            abort(404)
        return jsonify(results=source.search(request.args.get("q")))

    # --- related views only for users who may read them --------------------------------------
    @property
    def _related_views(self):
        views = self.__dict__.get("_iq_related_views") or []
        if not has_request_context():
            return views
        sm = self.appbuilder.sm
        return [view for view in views if sm.has_access("can_read", view.class_permission_name)]

    @_related_views.setter
    def _related_views(self, views):
        self.__dict__["_iq_related_views"] = views

    # --- titles: FAB builds untranslatable ones ("List Case") from the class name ---------------
    singular = None  # e.g. _l("Case")
    plural = None  # e.g. _l("Cases")

    def _init_titles(self):
        if self.plural is not None:
            singular, plural = self.singular, self.plural
            self.list_title = self.list_title or plural
            self.show_title = self.show_title or singular
            self.add_title = self.add_title or LazyString(lambda: _("%(what)s – new", what=singular))
            self.edit_title = self.edit_title or LazyString(lambda: _("%(what)s – edit", what=singular))
        super()._init_titles()

    def _init_forms(self):
        """Date columns get app.core.dates' field (typed TT.MM.JJJJ or ISO, input kept when refused);
        fields of NOT NULL columns are marked required (app.core.field_labels).
        An empty related choice reads "—" (FAB leaves its label empty and select2 shows "__None")."""
        install_date_fields(self)
        install_number_fields(self)  # amounts and hours in the UI language (app.core.numbers)
        super()._init_forms()
        for form, restricted, own in ((self.add_form, self.add_form_query_rel_fields, self.add_form_extra_fields),
                                      (self.edit_form, self.edit_form_query_rel_fields, self.edit_form_extra_fields)):
            mark_required(form, self.datamodel, decided_elsewhere=_NOT_POPULATED)
            # FAB's own relation selects only: a view's declared field chooses its records itself.
            cache_relation_choices(form, self.datamodel, {**(restricted or {}), **(own or {})})
            for unbound in vars(form).values():
                if isinstance(unbound, UnboundField) and issubclass(unbound.field_class, QuerySelectField):
                    if unbound.kwargs.get("allow_blank"):
                        unbound.kwargs["blank_text"] = "—"
                    use_cached_options(unbound)
        # A relation filter compares with the chosen record: an empty choice ("__None") finds nothing.
        # Reference tables (not partner-owned) offer their choices from app.core.choices' cache.
        restricted = self.search_form_query_rel_fields or {}
        for name, unbound in vars(self.search_form).items():
            if isinstance(unbound, UnboundField) and issubclass(unbound.field_class, QuerySelectField):
                unbound.kwargs["allow_blank"] = False
                use_cached_options(unbound)
                model = kept_relation_model(self.datamodel, name, restricted)
                if model is not None:
                    unbound.kwargs["query_func"] = cached_choices(model, unbound.kwargs["query_func"],
                                                                  unbound.kwargs["get_pk_func"])
                    unbound.kwargs["get_pk_func"] = attrgetter("pk")

    def _init_properties(self):
        """Columns without a formatter of their own never show "None", "True" or raw numbers."""
        super()._init_properties()
        fieldsets = [name for _title, spec in (self.show_fieldsets or []) for name in spec.get("fields", [])]
        fill_default_formatters(self, list(self.list_columns or []) + list(self.show_columns or []) + fieldsets)
        prepare_search(self)  # enumerations as translated selects, the view's own column_filters

    def get_init_inner_views(self):
        return self.__dict__.setdefault("_iq_related_views", [])

    # --- add and edit ----------------------------------------------------------------------
    def _add(self):
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        form = self.add_form.refresh()
        if request.method == "POST":
            self._fill_form_exclude_cols(exclude_cols, form)
            if form.validate():
                self.process_form(form, True)
                if self._save(form, self.datamodel.obj(), adding=True):
                    return None
            else:
                self._flash_form_errors(form)
        else:
            self.update_redirect()
        return self._get_add_widget(form=form, exclude_cols=exclude_cols)

    def _record(self, pk):
        """The record of an edit request through the view's base filters and the partner scope, read
        once per request: the edit path asks for it in several places (a view's own ``_edit`` for
        its form's choices, the read-access log, this ``_edit``), which cost one statement each."""
        records = g.setdefault("_iq_edit_records", {})
        key = (type(self).__name__, str(pk))
        if key not in records:
            records[key] = self.datamodel.get(pk, self._base_filters)
        return records[key]

    def _edit(self, pk):
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        item = self._record(pk)
        if not item:
            abort(404)
        pk = self.datamodel.get_pk_value(item)
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            self._fill_form_exclude_cols(exclude_cols, form)
            form._id = pk
            if form.validate():
                self.process_form(form, False)
                if self._is_stale(form, item):
                    self._refuse(form, None, STALE_MESSAGE)
                elif self._save(form, item, adding=False):
                    return None
                item = self.datamodel.get(pk, self._base_filters) or abort(404)
            else:
                self._flash_form_errors(form)
        else:
            form = self.edit_form.refresh(obj=item)
            self.prefill_form(form, pk)
            self.update_redirect()
        # The form only (templates/iq_edit.html): the related records are on the record's page.
        return self._get_edit_widget(form=form, exclude_cols=exclude_cols)

    @staticmethod
    def _is_stale(form, item):
        if "version" not in form or getattr(item, "version", None) is None:
            return False
        return str(form.version.data or "") != str(item.version)

    def requested_partner(self, form):
        """The partner id the form asks for (checked by owning_partner_id)."""
        return form.partner.data if "partner" in form else None

    @staticmethod
    def _flash_form_errors(form):
        """All errors of a refused form at once, each named by its field's label."""
        for line in form_error_summary(form):
            flash(line, "danger")

    def _save(self, form, item, adding):
        session = self.datamodel.session
        use_labels(self.label_columns)  # the model layer's messages name this form's labels

        def work():
            with session.no_autoflush:
                refused = []  # every field's refusal, not only the first one
                for name, field in form._fields.items():
                    if name not in _NOT_POPULATED and name not in self.form_only_fields:
                        try:
                            field.populate_obj(item, name)
                        except DomainError as error:
                            refused.append(error)
                if refused:
                    raise refused[0] if len(refused) == 1 else DomainErrors(refused)
                if adding:
                    if self.owning_partner:
                        requested = self.requested_partner(form)
                        if requested in (None, "") and hasattr(item, "implied_partner_id"):
                            requested = item.implied_partner_id()  # a case's client's, a contact's case's
                        item.partner_id = owning_partner_id(requested)
                    self.pre_add(item)
                    session.add(item)
                else:
                    self.pre_update(item)

        refusal = self._commit(work)
        if refusal:
            self._refuse(form, *refusal)
            return False
        if adding:
            self.post_add(item)
            flash(saved_message(self, item, ADDED), "success")  # FAB: "Added Row" (app.core.save_messages)
        else:
            self.post_update(item)
            flash(saved_message(self, item, CHANGED), "success")
        return True

    def _delete(self, pk):
        """FAB's delete flashes the exception text (empty or SQL); say what happened instead."""
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        session = self.datamodel.session
        label = record_label(self, item)  # read before the record is gone

        def work():
            self.pre_delete(item)
            session.delete(item)

        refusal = self._commit(work, conflict=IN_USE_MESSAGE)
        if refusal:
            flash(str(refusal[1]), "danger")
        else:
            self.post_delete(item)
            flash(saved_message(self, item, DELETED, label=label), "success")
        self.update_redirect()

    def _commit(self, work, conflict=CONFLICT_MESSAGE):
        """Run ``work`` and commit. A refused write is rolled back and answered with
        ``(field, message)`` for the user; the details go to the log, never to the page."""
        session = self.datamodel.session
        try:
            work()
            session.commit()
            return None
        except REFUSED as error:
            session.rollback()
            if isinstance(error, ScopeError):
                raise  # another partner's record: answered 404 by the error handler
            refusal = refusal_for(error, conflict, where=f"in {type(self).__name__}")
            return refusal.field, refusal.message

    # --- actions: FAB loads their records without base filters; here each one must be in scope --
    @expose("/action/<string:name>/<pk>", methods=["POST"])
    @has_access
    def action(self, name, pk):
        return self._run_action(name, [pk], single=True)

    @expose("/action_post", methods=["POST"])
    @has_access
    def action_post(self):
        return self._run_action(request.form.get("action", ""), request.form.getlist("rowid"), single=False)

    def _run_action(self, name, pks, single):
        action = self.actions.get(name)
        if action is None or not pks:
            abort(404)
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name), self.class_permission_name):
            flash(str(_l("Access is Denied")), "danger")
            return redirect(self.get_redirect())
        items = []
        for pk in pks:
            item = self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
            if item is None:
                log_denied(self.datamodel.obj.__name__, None)
                abort(404)  # another partner's record, or none at all: nothing is done
            items.append(item)
        return action.func(items[0] if single else items)

    @staticmethod
    def _refuse(form, field_name, message):
        """Show each message at the field it concerns (if the form has it) and on top of the page."""
        for field_name, message in refusals(message) if isinstance(message, DomainErrors) else [(field_name, message)]:
            message = str(message)
            if field_name and field_name in form:
                form[field_name].errors = list(form[field_name].errors) + [message]
            flash(message, "danger")


class BulkDeleteMixin:
    """A "delete selected" action for records that are corrected in batches (trainings, contacts)."""

    @action("muldelete", _l("Delete"), _l("Delete all selected records?"), "fa-trash", single=False)
    def muldelete(self, items):
        session = self.datamodel.session

        def work():
            for item in items:
                self.pre_delete(item)
                session.delete(item)

        refusal = self._commit(work, conflict=IN_USE_MESSAGE)
        if refusal:
            flash(str(refusal[1]), "danger")
        else:
            flash(ngettext("%(num)s record deleted.", "%(num)s records deleted.", len(items)), "success")
        return redirect(self.get_redirect())
