"""``iq import``: exit codes, output, all-or-nothing, partner from ``--partner``."""
from sqlalchemy import func, select

from app.cases.models import Case
from app.clients.models import Client
from app.partners.models import Partner
from tests.transfer_files import csv_bytes, row, xlsx_bytes


def invoke(app, *args):
    """``result.output`` holds stdout and stderr together (Click 8.2+)."""
    return app.test_cli_runner().invoke(args=["iq", "import", *args])


def case_count(ctx):
    ctx.rollback()
    return ctx.execute(select(func.count()).select_from(Case)).scalar()


def test_import_commits_and_exits_zero(app, ctx, tmp_path):
    path = tmp_path / "cases.xlsx"
    path.write_bytes(xlsx_bytes([row(1), row(2), dict(row(3), Partner="genres")]))
    result = invoke(app, str(path), "--partner", "vsp")
    assert result.exit_code == 0, result.output
    assert "Imported 3 cases, 3 new clients and 0 contacts for vsp." in result.output
    assert case_count(ctx) == 3
    vsp = ctx.execute(select(Partner.id).where(Partner.code == "vsp")).scalar()
    assert set(ctx.execute(select(Client.partner_id)).scalars()) == {vsp}


def test_dry_run_exits_zero_and_writes_nothing(app, ctx, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_bytes([row(1)]))
    result = invoke(app, str(path), "--partner", "migra", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: all 1 rows are valid (1 cases, 1 new clients); nothing was written." in result.output
    assert case_count(ctx) == 0


def test_row_errors_exit_one_name_the_row_and_write_nothing(app, ctx, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_bytes([row(1), row(2, Ergebnis="wonderful"), row(3)]))
    result = invoke(app, str(path), "--partner", "migra")
    assert result.exit_code == 1
    output = result.output
    assert "row 3, Ergebnis:" in output and "wonderful" in output
    assert "1 error in 3 rows; nothing was imported." in output
    assert case_count(ctx) == 0


def test_unreadable_file_or_unknown_partner_exit_two(app, ctx, tmp_path):
    path = tmp_path / "cases.pdf"
    path.write_bytes(b"%PDF-1.4")
    result = invoke(app, str(path), "--partner", "migra")
    assert result.exit_code == 2
    assert "CSV" in result.output

    good = tmp_path / "cases.csv"
    good.write_bytes(csv_bytes([row(1)]))
    result = invoke(app, str(good), "--partner", "nobody")
    assert result.exit_code == 2
    assert "nobody" in result.output
    assert case_count(ctx) == 0

