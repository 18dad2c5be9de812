"""``storefront keys status | rotate``: which data key seals the personal data, and moving
it all to the newest one (see :mod:`storefront.rotation`).

Rotating a key: put the new key first in ``DATA_KEYS`` (keeping the old ones after it),
restart the shop (new values are sealed with the new key from then on), run ``storefront
keys rotate`` (it can be stopped and run again), check ``storefront keys status`` shows
nothing under the old key, and only then drop the old key from ``DATA_KEYS`` (once no
backup sealed with it is kept any more either).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from storefront import rotation
from storefront.accounts import twofactor
from storefront.clistate import CliState, pass_state
from storefront.crypto import UnknownKey
from storefront.db import Database
from storefront.fieldcrypt import FieldCipher, FieldCryptError
from storefront.models import metadata


@contextmanager
def _database(state: CliState) -> Iterator[tuple[Database, FieldCipher]]:
    settings = state.get_settings()
    db = Database(settings.database_url, cipher=settings.field_cipher)
    try:
        yield db, settings.field_cipher
    except (UnknownKey, FieldCryptError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()


@click.group("keys")
def keys() -> None:
    """Data keys (DATA_KEYS): what seals personal data, and re-sealing it with the newest."""


@keys.command("status")
@pass_state
def status(state: CliState) -> None:
    """How many sealed values and blind indexes each data key holds, per column."""
    with _database(state) as (db, cipher):
        report = rotation.status(db, cipher, metadata)
    ids = cipher.ring.ids
    click.echo(f"newest key: {ids[0]}")
    click.echo("column\t" + "\t".join(ids) + "\tunknown key")
    for line in report:
        counts = [str(line.by_key[k]) for k in ids] + [str(line.unknown)]
        click.echo(f"{line.column.label}\t" + "\t".join(counts))
    old = sum(n for line in report for k, n in line.by_key.items() if k != ids[0])
    unknown = sum(line.unknown for line in report)
    if unknown:
        click.echo(f"{unknown} value(s) under a key DATA_KEYS does not list: add it back")
    click.echo(
        f"{old} value(s) under older keys: run `storefront keys rotate`"
        if old
        else f"every value is under the newest key ({ids[0]})"
    )


@keys.command("rotate")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=rotation.DEFAULT_BATCH,
    show_default=True,
    help="Rows per transaction.",
)
@click.option(
    "--max-batches",
    type=click.IntRange(1),
    default=None,
    help="Stop after this many batches (run again to go on).",
)
@pass_state
def rotate(state: CliState, batch_size: int, max_batches: int | None) -> None:
    """Re-seal every personal value and blind index with the newest key of DATA_KEYS.

    Safe to stop at any time: each batch is committed on its own, and a second run goes on
    from where the first stopped."""
    with _database(state) as (db, cipher):
        newest = cipher.ring.newest.id
        with db.session_scope(write=True) as session:  # staff second factors (few rows)
            resealed = twofactor.reseal_all(session, cipher.ring)
        if resealed:
            click.echo(f"re-sealed {resealed} staff second-factor secret(s) with {newest}")
        todo = rotation.pending(db, cipher, metadata)
        if not todo:
            click.echo(f"nothing to do: every value is under the newest key ({newest})")
            return
        with click.progressbar(length=todo, label=f"re-encrypting with {newest}") as bar:
            changed = rotation.rotate(
                db, cipher, metadata, batch_size=batch_size, max_batches=max_batches,
                on_batch=bar.update,
            )  # fmt: skip
        left = rotation.pending(db, cipher, metadata)
    click.echo(f"re-encrypted {changed} value(s) with {newest}; {left} left")
    if left:
        click.echo("run `storefront keys rotate` again to go on")
