"""bench/support.reset_schema wipes bench databases only (the scripts used to DROP SCHEMA anything)."""
import pytest

from bench.support import NotABenchDatabase, is_bench_database, reset_schema


@pytest.mark.parametrize("name", ["perf_bench", "iq_bench", "bench", "bench_1m", "SOME_BENCH_DB", "iq-bench2"])
def test_bench_names_are_accepted(name):
    assert is_bench_database(f"postgresql://root@127.0.0.1:5432/{name}")


@pytest.mark.parametrize("url", [
    "postgresql://root@127.0.0.1:5432/test", "postgresql://root@127.0.0.1:5432/test_h11art15",
    "postgresql://iq_app@db-host/iq", "postgresql://root@127.0.0.1:5432/benchmarks_prod",
    "postgresql://root@127.0.0.1:5432/workbench", "sqlite:///instance/iq.db",
])
def test_other_databases_are_refused_before_connecting(url, monkeypatch):
    import sqlalchemy

    def no_connection(*args, **kwargs):
        raise AssertionError("reset_schema connected to a database it must refuse")

    monkeypatch.setattr(sqlalchemy, "create_engine", no_connection)
    assert not is_bench_database(url)
    with pytest.raises(NotABenchDatabase, match="refusing to drop"):
        reset_schema(url)


def test_no_bench_script_drops_a_schema_itself():
    from pathlib import Path

    bench = Path(__file__).resolve().parent.parent / "bench"
    dropping = [p.name for p in bench.glob("*.py") if "DROP SCHEMA" in p.read_text() and p.name != "support.py"]
    assert dropping == []
