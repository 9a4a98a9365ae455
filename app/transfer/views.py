"""Pages of the import (upload, dry run, commit, template) and the case exports (CSV, XLSX)."""
from flask import Response, abort, current_app, request, stream_with_context
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_filter_args
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from app.cases.models import Case
from app.core.filters import same_filters_as
from app.core.heartbeat import beating
from app.core.listing import ScaledInterface
from app.extensions import db
from app.security.access_log import note_export
from app.security.roles import CASES, CLIENTS, EXPORTS
from app.security.partner_choice import selectable_partners
from app.security.scoping import owning_partner_id, use_aggregate_scope
from app.transfer.columns import column_documentation
from app.transfer.exporter import (FILTER_COLUMNS, PERSONAL_COLUMNS, PSEUDONYMOUS_COLUMNS, ExportFilterError,
                                   case_query, csv_chunks, xlsx_chunks)
from app.transfer.importer import import_file
from app.transfer.readers import FileRefused, limit
from app.transfer.template_file import template_csv, template_xlsx

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportForm(FlaskForm):
    partner = SelectField(_l("Partner"), coerce=int)
    upload = FileField(_l("File (CSV or XLSX)"), validators=[FileRequired()])


class ImportView(BaseView):
    """Staff upload a file; "Check" is a dry run, "Import" writes all rows or none."""

    route_base = "/import"
    default_view = "index"
    class_permission_name = CASES
    method_permission_name = {"index": "write", "template": "read"}

    @expose("/", methods=["GET", "POST"])
    @has_access
    def index(self):
        form = ImportForm()
        form.partner.choices = _own_partners()
        result = refused = None
        if form.validate_on_submit():
            dry_run = request.form.get("action") != "import"
            data = form.upload.data.stream.read(limit("IMPORT_MAX_BYTES") + 1)
            # The import commits or rolls back a session of its own, so the request's session
            # (which holds the logged-in user) is not expired by it.
            session = db.session.session_factory()
            try:
                partner_id = owning_partner_id(form.partner.data)
                result = import_file(session, form.upload.data.filename, data, partner_id,
                                     dry_run=dry_run)
            except FileRefused as error:
                refused = str(error)
            finally:
                session.close()
        return self.render_template("transfer/import.html", form=form, result=result, refused=refused,
                                    columns=column_documentation(), max_errors=500)

    @expose("/template.<fmt>")
    @has_access
    def template(self, fmt):
        if fmt == "csv":
            return Response(template_csv(), mimetype="text/csv; charset=utf-8",
                            headers={"Content-Disposition": "attachment; filename=import-vorlage.csv"})
        if fmt == "xlsx":
            return Response(template_xlsx(), mimetype=XLSX_MIME,
                            headers={"Content-Disposition": "attachment; filename=import-vorlage.xlsx"})
        abort(404)


def _own_partners():
    """The partners the user may import for; one partner means no choice to make."""
    return [(p.id, p.name) for p in selectable_partners("write")]


class ExportView(BaseView):
    """``/exports/cases.csv`` and ``.xlsx``: summary filters plus the case list's ``_flt_`` filters."""

    route_base = "/exports"
    class_permission_name = EXPORTS
    method_permission_name = {"cases_csv": "read", "cases_xlsx": "read"}

    @expose("/cases.csv")
    @has_access
    def cases_csv(self):
        query, columns = self._query_and_columns()
        response = Response(stream_with_context(beating(csv_chunks(query, columns))),
                            mimetype="text/csv; charset=utf-8",
                            headers={"Content-Disposition": "attachment; filename=beratungsfaelle.csv"})
        return _private(response)

    @expose("/cases.xlsx")
    @has_access
    def cases_xlsx(self):
        # Streamed like the CSV: the zip is written as its rows come (no file, no length known).
        query, columns = self._query_and_columns()
        response = Response(stream_with_context(beating(xlsx_chunks(query, columns))), mimetype=XLSX_MIME,
                            headers={"Content-Disposition": "attachment; filename=beratungsfaelle.xlsx"})
        return _private(response)

    def _query_and_columns(self):
        # The case list's filters, index for index: its export buttons carry its ``_flt_`` arguments.
        filters = same_filters_as(ScaledInterface(Case, db.session).get_filters(FILTER_COLUMNS), _case_list_view())
        get_filter_args(filters)
        # Personal columns only for users who may read clients (DESIGN.md §3: not Management).
        personal = self.appbuilder.sm.has_access("can_read", CLIENTS)
        columns = PERSONAL_COLUMNS if personal else PSEUDONYMOUS_COLUMNS
        if not personal:
            use_aggregate_scope()  # pseudonymous rows: the partners where the user is Management or more
        try:
            query = case_query(db.session, columns, request.args.get("period", "all"),
                               request.args.get("partner", "all"), request.args.get("state", "all"),
                               list_filters=filters)
        except ExportFilterError as error:
            abort(400, description=str(error))
        if personal:
            # One access-log row per export (with its filters), not one per exported client.
            note_export(f"{request.path}?{request.query_string.decode('utf-8', 'replace')}")
        return query, columns


def _case_list_view():
    from app.cases.views import CaseView

    return next(view for view in current_app.appbuilder.baseviews if type(view) is CaseView)


def _private(response):
    """Personal data: no shared or browser cache may keep a copy."""
    response.headers["Cache-Control"] = "private, no-store"
    return response

