"""Settings, production's refusal to start without secrets, and the docker compose file."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLEAN_ENV = {
    key: value
    for key, value in os.environ.items()
    if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CHAIN_RPC_URL", "SECRET_KEY"}
}


def settings_value(module: str, expression: str, **env: str) -> subprocess.CompletedProcess[str]:
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**CLEAN_ENV, "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_embedded_default_is_sqlite_wal_immediate_filesystem_broker_and_local_anvil(tmp_path):
    result = settings_value(
        "qoima.settings.base",
        "settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['OPTIONS'], "
        "settings.CELERY_BROKER_URL, settings.CHAIN_RPC_URL",
        QOIMA_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "django.db.backends.sqlite3" in result.stdout
    assert "'transaction_mode': 'IMMEDIATE'" in result.stdout
    assert "journal_mode=WAL" in result.stdout
    assert "filesystem://" in result.stdout
    assert "http://127.0.0.1:8545" in result.stdout
    assert (tmp_path / "broker" / "queue").is_dir()


def test_services_come_from_the_environment(tmp_path):
    result = settings_value(
        "qoima.settings.base",
        "settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL, "
        "settings.CHAIN_RPC_URL",
        QOIMA_VAR_DIR=str(tmp_path),
        DATABASE_URL="postgres://u:p@db.example:5432/q",
        REDIS_URL="redis://cache.example:6379/0",
        CHAIN_RPC_URL="http://node.example:8545",
    )
    assert result.returncode == 0, result.stderr
    assert "django.db.backends.postgresql" in result.stdout
    assert "redis://cache.example:6379/0" in result.stdout
    assert "http://node.example:8545" in result.stdout


PRODUCTION_ENV = {
    "SECRET_KEY": "s" * 50,
    "ALLOWED_HOSTS": "qoima.kz",
    "DATABASE_URL": "postgres://u:p@db:5432/q",
    "REDIS_URL": "redis://redis:6379/0",
    "CHAIN_RPC_URL": "http://node:8545",
    "CHAIN_ID": "7",
    "CHAIN_ADMIN_KEY": "0x" + "11" * 32,
    "CHAIN_OPERATOR_KEY": "0x" + "22" * 32,
    "CHAIN_COMPLIANCE_KEY": "0x" + "33" * 32,
    "CUSTODY_ENCRYPTION_KEYS": "pTgm1s2FzJj3Yd4s2Fj9bN8vQmVt7Kx0L2cR5sW8yHk=",
    "EXCHANGE_BANK_NAME": "АО «Народный банк Казахстана»",
    "EXCHANGE_BANK_BIC": "HSBKKZKX",
    "EXCHANGE_BANK_BENEFICIARY": "ТОО «Qoima»",
    "EXCHANGE_BANK_BIN": "950341000052",
    "EXCHANGE_BANK_IBAN": "KZ566010002000012345",
}


@pytest.mark.parametrize("missing", sorted(PRODUCTION_ENV))
def test_production_refuses_to_start_without_each_secret(tmp_path, missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = settings_value(
        "qoima.settings.production", "settings.DEBUG", QOIMA_VAR_DIR=str(tmp_path), **env
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_starts_with_its_secrets(tmp_path):
    result = settings_value(
        "qoima.settings.production",
        "settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.CHAIN_ID",
        QOIMA_VAR_DIR=str(tmp_path),
        **PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True 7"


ANVIL_ACCOUNT_0_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ANVIL_ACCOUNT_9_KEY = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"


@pytest.mark.parametrize(
    ("name", "published"),
    [
        ("SECRET_KEY", "embedded-default-not-for-production-0123456789abcdef"),
        ("CUSTODY_ENCRYPTION_KEYS", "OwTkadEFHb6VKwnwgkXnuX5ndwwjzTdLjEJ6zto4NiA="),
        (
            "CUSTODY_ENCRYPTION_KEYS",
            f"{PRODUCTION_ENV['CUSTODY_ENCRYPTION_KEYS']},OwTkadEFHb6VKwnwgkXnuX5ndwwjzTdLjEJ6zto4NiA=",
        ),
        ("CHAIN_ADMIN_KEY", ANVIL_ACCOUNT_0_KEY),
        ("CHAIN_OPERATOR_KEY", ANVIL_ACCOUNT_9_KEY.upper().replace("0X", "0x")),
        ("CHAIN_COMPLIANCE_KEY", ANVIL_ACCOUNT_0_KEY.removeprefix("0x")),
        ("EXCHANGE_BANK_IBAN", "KZ86125KZT5004100100"),
    ],
)
def test_production_refuses_each_secret_published_in_the_repository_or_by_anvil(
    tmp_path, name, published
):
    result = settings_value(
        "qoima.settings.production",
        "settings.DEBUG",
        QOIMA_VAR_DIR=str(tmp_path),
        **{**PRODUCTION_ENV, name: published},
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name} is a value published" in result.stderr


def compose_command() -> list[str]:
    if (
        shutil.which("docker")
        and subprocess.run(
            ["docker", "compose", "version"], capture_output=True, check=False
        ).returncode
        == 0
    ):
        return ["docker", "compose"]
    # The Compose v2 binary from the dev dependencies, where Docker ships without the plugin.
    return [str(Path(sys.executable).parent / "docker-compose")]


def test_compose_file_is_valid_and_names_the_full_stack():
    command = [*compose_command(), "-f", "docker/compose.yaml"]
    keys = {f"CHAIN_{role}_KEY": "0x" + "11" * 32 for role in ("ADMIN", "OPERATOR", "COMPLIANCE")}
    env = {
        **CLEAN_ENV,
        "SECRET_KEY": "x" * 50,
        "CUSTODY_ENCRYPTION_KEYS": PRODUCTION_ENV["CUSTODY_ENCRYPTION_KEYS"],
        **{name: value for name, value in PRODUCTION_ENV.items() if name.startswith("EXCHANGE_")},
        **keys,
    }
    result = subprocess.run(
        [*command, "config", "--services"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    services = set(result.stdout.split())
    assert {"postgres", "redis", "anvil", "web", "worker", "beat", "matcher"} <= services

    # A worker or beat that exits for any reason is started again by compose.
    result = subprocess.run(
        [*command, "config", "--format", "json"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    resolved = json.loads(result.stdout)["services"]
    for name in ("postgres", "redis", "anvil", "web", "worker", "beat", "matcher"):
        assert resolved[name]["restart"] == "unless-stopped", name


def test_compose_refuses_to_start_without_a_secret_key():
    command = [*compose_command(), "-f", "docker/compose.yaml", "config"]
    result = subprocess.run(command, cwd=ROOT, env=CLEAN_ENV, capture_output=True, text=True)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
