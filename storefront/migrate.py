"""Schema migrations with Alembic, driven from code (``storefront db …`` and tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from storefront.fieldcrypt import FieldCipher

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(url: str, cipher: FieldCipher | None = None) -> Config:
    """``cipher`` seals the personal data of rows written before it was encrypted (0140);
    without it the migration uses the keys of the environment's settings."""
    cfg = Config()
    if cipher is not None:
        cfg.attributes["field_cipher"] = cipher
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head", *, cipher: FieldCipher | None = None) -> None:
    command.upgrade(alembic_config(url, cipher), revision)


def downgrade(url: str, revision: str, *, cipher: FieldCipher | None = None) -> None:
    command.downgrade(alembic_config(url, cipher), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
