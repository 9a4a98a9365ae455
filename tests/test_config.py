"""Configuration from the environment: secrets are never defaults in production."""

import pytest


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    import config

    monkeypatch.setenv("IQ_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        config.Config()
    assert not (tmp_path / "secret_key").exists()


def test_development_generates_a_secret_once(monkeypatch, tmp_path):
    import config

    monkeypatch.delenv("IQ_ENV", raising=False)
    monkeypatch.delenv("FLASK_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    first, second = config.Config().SECRET_KEY, config.Config().SECRET_KEY
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_database_url_from_environment_uses_psycopg3(monkeypatch, tmp_path):
    import config

    monkeypatch.setenv("DATABASE_URL", "postgresql://iq@127.0.0.1:5432/iq")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    assert config.Config().SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://iq@127.0.0.1:5432/iq"
