"""``storefront schema studio [--check]``."""

from __future__ import annotations

import sys

import click

from cms_schema.studio_gen import STUDIO, render_studio


@click.group("schema")
def schema() -> None:
    """The content model: regenerate the Sanity Studio project from cms_schema/types.py."""


@schema.command("studio")
@click.option("--check", is_flag=True, help="Fail if the checked-in files are stale.")
def studio(check: bool) -> None:
    """Write cms_schema/studio/ (or, with --check, list what is stale)."""
    files = render_studio()
    stale = [
        rel
        for rel, text in files.items()
        if not (STUDIO / rel).exists() or (STUDIO / rel).read_text() != text
    ]
    if check:
        if stale:
            click.echo("stale Studio files (run `storefront schema studio`): " + ", ".join(stale))
            sys.exit(1)
        click.echo(f"Studio files are up to date ({len(files)} files)")
        return
    for rel, text in files.items():
        path = STUDIO / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    click.echo(f"wrote {len(files)} files to {STUDIO}")
