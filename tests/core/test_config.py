"""Deployment settings."""

import pytest

import config


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("QMS_SECRET_KEY", raising=False)
    with pytest.raises(config.ConfigError, match="QMS_SECRET_KEY"):
        config.load_config("production")


def test_development_generates_and_keeps_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("QMS_SECRET_KEY", raising=False)
    monkeypatch.setattr(config.Config, "INSTANCE_DIR", tmp_path)
    first = config.load_config("development").SECRET_KEY
    second = config.load_config("development").SECRET_KEY
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_secret_key_from_the_environment_wins(monkeypatch):
    monkeypatch.setenv("QMS_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("QMS_PSEUDONYM_KEY", "p" * 40)
    assert config.load_config("production").SECRET_KEY == "k" * 40


def test_unknown_environment_is_an_error():
    with pytest.raises(config.ConfigError):
        config.load_config("staging")


def test_create_app_touches_no_database(tmp_path):
    from qms import create_app

    missing = tmp_path / "nope" / "db.sqlite3"
    create_app(config.TestingConfig(), SQLALCHEMY_DATABASE_URI=f"sqlite:///{missing}")
    assert not missing.exists()


def test_production_refuses_to_start_without_a_pseudonym_key(monkeypatch):
    monkeypatch.setenv("QMS_SECRET_KEY", "k" * 40)
    monkeypatch.delenv("QMS_PSEUDONYM_KEY", raising=False)
    with pytest.raises(config.ConfigError, match="QMS_PSEUDONYM_KEY"):
        config.load_config("production")
    monkeypatch.setenv("QMS_PSEUDONYM_KEY", "p" * 40)
    assert config.load_config("production").QMS_PSEUDONYM_KEY == "p" * 40


def test_development_generates_and_keeps_a_pseudonym_key(monkeypatch, tmp_path):
    monkeypatch.delenv("QMS_PSEUDONYM_KEY", raising=False)
    monkeypatch.setattr(config.Config, "INSTANCE_DIR", tmp_path)
    first = config.load_config("development")
    again = config.load_config("development")
    assert first.QMS_PSEUDONYM_KEY == again.QMS_PSEUDONYM_KEY
    assert first.QMS_PSEUDONYM_KEY != first.SECRET_KEY
    assert (tmp_path / "pseudonym_key").stat().st_mode & 0o077 == 0
