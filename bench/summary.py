"""Benchmark of the management summary on PostgreSQL (prints figures; not a test).

Creates synthetic data with set-based INSERT … SELECT generate_series (no ORM, no Python loops),
then measures the network-wide summary end to end, split into SQL and rendering, the peak RSS of
this process, and the pages per second of a ~100-page case-list PDF.

    createdb -h 127.0.0.1 -U root iq_bench
    python bench/summary.py postgresql://root@127.0.0.1:5432/iq_bench --cases 1000000
    dropdb -h 127.0.0.1 -U root iq_bench

The database is wiped (schema dropped) first: never point this at real data.
"""
import argparse
import gc
import io
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.support import ensure_user, reset_schema, run_as_ordinary_role  # noqa: E402
from config import TestConfig, normalise_database_url  # noqa: E402

SYNTHETIC = """
SELECT setseed(0.42);
CREATE TEMP TABLE p AS SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM partner;
CREATE TEMP TABLE c AS SELECT array_agg(code ORDER BY code) AS codes, count(*) AS n FROM country;
CREATE TEMP TABLE o AS SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM reference_occupation;

INSERT INTO client (id, partner_id, client_number, first_name, last_name, birth_date, gender, citizenship,
                    counselling_language, version, created_at, updated_at)
SELECT g, p.ids[1 + g % p.n], 'B' || g, 'Vorname' || g, 'Nachname' || g,
       date '1955-01-01' + (random() * 14000)::int,
       (ARRAY['female', 'male', 'male', 'female', 'diverse', 'not_stated'])[1 + floor(random() * 6)::int],
       -- a few frequent citizenships, then a long tail
       CASE WHEN random() < 0.6 THEN (ARRAY['SY', 'RU', 'PL', 'UA', 'TR', 'VN', 'AF', 'IR'])[1 + floor(random() * 8)::int]
            ELSE c.codes[1 + (random() * (c.n - 1))::int] END,
       'de', 1, now(), now()
FROM generate_series(1, :clients) g, p, c;

INSERT INTO counselling_case (id, partner_id, client_id, funding_period_id, opened_on, closed_on, status, enquirer,
       referral_source, qualification_title, qualification_type, qualification_country, qualification_year,
       reference_occupation_id, regulated, competent_body_id, outcome, notice_result, version, created_at, updated_at)
SELECT s.g, cl.partner_id, cl.id, fp.id, s.opened, NULL, 'open',
       (ARRAY['self', 'social_environment', 'jobcenter', 'employment_agency', 'employer', 'other'])[1 + floor(random() * 6)::int],
       (ARRAY['jobcenter', 'employment_agency', 'migration_service', 'chamber', 'internet', 'friends', 'media', 'other'])[1 + floor(random() * 8)::int],
       'Qualifikation ' || s.g,
       (ARRAY['vocational', 'academic', 'master_craftsman', 'school'])[1 + floor(random() * 4)::int],
       cl.citizenship, 2000, ro.id, ro.regulated, ro.competent_body_mv_id,
       (ARRAY['referred_competent_body', 'application_help', 'application_filed', 'no_procedure',
              'adaptation_qualification', 'language_course', 'on_hold'])[1 + floor(random() * 7)::int],
       (ARRAY['full', 'partial', 'compensation_measure', 'rejected', 'ended_without_decision', 'pending', NULL, NULL])[1 + floor(random() * 8)::int],
       1, now(), now()
FROM (SELECT g, date '2011-07-01' + (random() * 1279)::int AS opened,
             1 + (random() * (:clients - 1))::int AS client_id,
             1 + (power(random(), 2) * 106)::int AS occupation
      FROM generate_series(1, :cases) g) s
JOIN client cl ON cl.id = s.client_id
JOIN funding_period fp ON s.opened BETWEEN fp.start AND fp."end"
JOIN o ON true
JOIN reference_occupation ro ON ro.id = o.ids[least(s.occupation, o.n)];

INSERT INTO contact (partner_id, case_id, date, kind, channel, minutes, created_at, updated_at)
SELECT partner_id, id, opened_on, 'first_contact',
       (ARRAY['face_to_face', 'face_to_face', 'phone', 'email', 'group', 'mobile_outreach'])[1 + floor(random() * 6)::int],
       45, now(), now()
FROM counselling_case;
INSERT INTO contact (partner_id, case_id, date, kind, channel, minutes, created_at, updated_at)
SELECT partner_id, id, least(opened_on + 21, date '2014-12-31'), 'follow_up',
       (ARRAY['face_to_face', 'phone', 'email'])[1 + floor(random() * 3)::int], 30, now(), now()
FROM counselling_case WHERE random() < 0.6;

INSERT INTO training (partner_id, funding_period_id, date, title, target_institution, hours,
                      participants_female, participants_male, participants_diverse, created_at, updated_at)
SELECT p.ids[1 + g % p.n], fp.id, d, 'Schulung ' || g,
       (ARRAY['employment_agency', 'jobcenter', 'chamber', 'municipality', 'company'])[1 + g % 5],
       6, 5 + g % 9, 3 + g % 7, g % 2, now(), now()
FROM (SELECT g, date '2011-07-01' + (g * 7) % 1279 AS d FROM generate_series(1, 400) g) t
JOIN funding_period fp ON t.d BETWEEN fp.start AND fp."end", p;

INSERT INTO funding (partner_id, funding_period_id, funder, planned_amount, spent_amount, planned_cases,
                     planned_trainings, created_at, updated_at)
SELECT pa.id, fp.id, f, 100000, 80000 + pa.id * 1000, 1000, 10, now(), now()
FROM partner pa, funding_period fp, unnest(ARRAY['BMAS', 'BMBF', 'BA']) f
"""


def build(url, clients, cases):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.security.scoping import system_scope
    from app.setup.reference_data import seed_reference_data

    reset_schema(url)  # refuses any database that is not a bench database
    app = create_app(TestConfig(url))
    with app.app_context():
        upgrade()
        with system_scope():
            seed_reference_data(db.session)
            db.session.commit()
    started = time.perf_counter()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.begin() as conn:
        for statement in SYNTHETIC.split(";\n"):
            if statement.strip():
                conn.execute(text(statement), {"clients": clients, "cases": cases})
    print(f"data: {cases:,} cases, {clients:,} clients generated in {time.perf_counter() - started:.1f} s")
    vacuum(engine)
    return app


def vacuum(engine):
    """VACUUM ANALYZE, as autovacuum would soon after a bulk load: statistics for the planner, and
    the visibility map that lets aggregations be answered by index-only scans."""
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(app, case_list_rows, freeze=True, runs=2):
    from datetime import date

    from flask import g
    from flask_babel import force_locale
    from pypdf import PdfReader

    from app.extensions import db
    from app.reports.rendering import css_string, render_pdf
    from app.reports.scope import resolve_scope
    from app.reports.summary import build_summary

    with app.app_context():
        admin_id = ensure_user(app, "bench_admin", "Admin").id
        run_as_ordinary_role(db.engine)
    # As a gunicorn worker after its warm-up (app/warmup.py): the app's objects are out of the
    # garbage collector's reach, so that full collections do not walk them during the rendering.
    if freeze:
        gc.collect()
        gc.freeze()
    # Inside a request the logged-in user's scope applies (an explicit system scope would not):
    # the summary is built for an Admin, network-wide, with row-level security on.
    with app.test_request_context("/reports/summary.pdf"), force_locale("de"):
        g.user = app.appbuilder.sm.get_user_by_id(admin_id)
        print(f"gc.freeze: {'yes' if freeze else 'no'}; load average {os.getloadavg()[0]:.1f}")
        for run in ["cold"] + ["warm"] * (runs - 1):
            t0 = time.perf_counter()
            scope = resolve_scope(db.session, "all", "all", "all", None)
            summary = build_summary(db.session, scope, "de")
            t1, c1 = time.perf_counter(), time.process_time()
            data = render_pdf("reports/summary.html", scope=scope, summary=summary, locale="de",
                              scope_text=scope.describe(), state_label="", created=date.today(),
                              page_label=css_string("Seite "), of_label=css_string(" von "))
            t2, c2 = time.perf_counter(), time.process_time()
            pages = len(PdfReader(io.BytesIO(data)).pages)
            print(f"summary ({run}): SQL {t1 - t0:.2f} s, rendering {t2 - t1:.2f} s (CPU {c2 - c1:.2f} s), end-to-end {t2 - t0:.2f} s,"
                  f" {pages} pages, {len(data) / 1024:.0f} KiB, peak RSS so far {rss_mb():.0f} MB")
            db.session.rollback()

        app.config["REPORTS_MAX_ROWS"] = case_list_rows
        from app.reports.views import ReportsView as view

        t0 = time.perf_counter()
        response = view.case_list.__wrapped__(None)  # the view body without the permission check
        t1 = time.perf_counter()
        pages = len(PdfReader(io.BytesIO(response.get_data())).pages)
        print(f"case list: {case_list_rows:,} rows, {pages} pages in {t1 - t0:.2f} s = {pages / (t1 - t0):.1f} pages/s")
    print(f"peak RSS of the process: {rss_mb():.0f} MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database_url")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=None, help="default: cases / 5")
    parser.add_argument("--case-list-rows", type=int, default=4400)
    parser.add_argument("--reuse", action="store_true", help="measure the data already in the database")
    parser.add_argument("--no-gc-freeze", action="store_true",
                        help="leave the app's objects to the garbage collector (as before app/warmup.py)")
    parser.add_argument("--runs", type=int, default=2, help="summaries to build (the first is 'cold')")
    args = parser.parse_args()
    url = normalise_database_url(args.database_url)
    if not url.startswith("postgresql"):
        sys.exit("This benchmark needs PostgreSQL.")
    if args.reuse:
        from flask_migrate import upgrade

        from app import create_app

        app = create_app(TestConfig(url))
        with app.app_context():
            upgrade()  # the bench database follows new migrations (indexes)
        vacuum(create_engine(url))
    else:
        app = build(url, args.clients or max(1, args.cases // 5), args.cases)
    measure(app, args.case_list_rows, freeze=not args.no_gc_freeze, runs=args.runs)


if __name__ == "__main__":
    main()
