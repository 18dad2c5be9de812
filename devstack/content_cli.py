"""``storefront content …``: load, export, query, serve and push the content lake.

Commands work on the local lake file (``settings.lake_path``) unless told ``--to sanity``.
Settings and the outbound HTTP client come from :class:`storefront.clistate.CliState`; tests
pass ``obj=CliState(settings=..., http=httpx.Client(...))`` to reach a lake app through an
injected transport instead of the network.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from cms_schema import DEMO_CATALOG
from cms_schema.validate import check_export, market_warnings
from contentlake.exports import (
    ExportError,
    export_store,
    import_export,
    push_export,
    read_export,
    resolve_assets,
)
from contentlake.groq import GroqParseError, GroqQueryError
from devstack.lake import create_lake_app_from_settings, open_lake
from storefront import observability
from storefront.clistate import CliState, pass_state
from storefront.sanity.client import SanityClient
from storefront.sanity.errors import AuthError, ContentError
from storefront.sanity.images import cdn_base_for


def parse_param(text: str) -> tuple[str, Any]:
    """``k=v``: ``v`` as JSON when it parses (``3``, ``true``, ``"x"``, ``[1]``), else a string."""
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise click.BadParameter(f"{text!r} is not k=v", param_hint="--param")
    try:
        return name.lstrip("$"), json.loads(raw)
    except ValueError:
        return name.lstrip("$"), raw


def caret_lines(query: str, start: int | None, end: int | None) -> str:
    """The query line holding ``start`` with ``^^^`` under the offending span."""
    if start is None:
        return query
    line_start = query.rfind("\n", 0, start) + 1
    line_end = query.find("\n", start)
    line_end = len(query) if line_end < 0 else line_end
    width = max(1, min(end if end is not None else start + 1, line_end) - start)
    return f"{query[line_start:line_end]}\n{' ' * (start - line_start)}{'^' * width}"


@click.group("content")
def content() -> None:
    """The content lake: import/export Sanity exports, run GROQ, serve the lake's API."""


def _remote_client(
    state: CliState, project_id: str | None, token: str | None, api_url: str | None
) -> SanityClient:
    settings = state.get_settings()
    secret = token or (
        settings.sanity_write_token.get_secret_value() if settings.sanity_write_token else None
    )
    if not secret:
        raise click.UsageError("a write token is needed: --token or SANITY_WRITE_TOKEN")
    project = project_id or settings.sanity_project_id
    live = api_url or (
        settings.sanity_live_url if project_id is None else f"https://{project}.api.sanity.io"
    )
    return SanityClient(
        live,
        live,
        project,
        settings.sanity_dataset,
        settings.sanity_api_version,
        secret,
        http=state.http,
    )


def _push(source: Path, client: SanityClient, batch_size: int) -> None:
    total = len(read_export(source).documents)
    try:
        with click.progressbar(length=total, label="pushing documents", file=sys.stderr) as bar:
            report = push_export(source, client, batch_size=batch_size, progress=bar.update)
    except AuthError as exc:
        raise click.ClickException(
            f"the content API refused the token ({exc}): check SANITY_WRITE_TOKEN or --token"
        ) from exc
    except ContentError as exc:
        raise click.ClickException(f"the push stopped: {type(exc).__name__}: {exc}") from exc
    click.echo(
        f"pushed {report.documents} documents in {report.transactions} transactions, "
        f"{report.assets} assets uploaded"
    )


@content.command("import")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--replace", is_flag=True, help="Delete lake documents not in the export.")
@click.option("--to", "target", type=click.Choice(["lake", "sanity"]), default="lake")
@click.option("--batch-size", default=100, show_default=True)
@pass_state
def import_command(
    state: CliState, source: Path, replace: bool, target: str, batch_size: int
) -> None:
    """Load an export (.ndjson, .tar.gz or an unpacked folder) into the lake (or Sanity)."""
    try:
        if target == "sanity":
            if replace:
                raise click.UsageError("--replace is only supported for the local lake")
            with _remote_client(state, None, None, None) as client:
                _push(source, client, batch_size)
            return
        settings = state.get_settings()
        store, files = open_lake(settings)
        try:
            report = import_export(
                source,
                store,
                files,
                project_id=settings.sanity_project_id,
                dataset=settings.sanity_dataset,
                cdn_base=cdn_base_for(settings.sanity_live_url),
                replace=replace,
            )
        finally:
            store.close()
    except ExportError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{report.documents} documents read, {report.written} written, "
        f"{report.deleted} deleted, {report.assets} asset files"
    )


@content.command("export")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--raw", is_flag=True, help="Keep asset documents and references as stored.")
@pass_state
def export_command(state: CliState, target: Path, raw: bool) -> None:
    """Write the lake to TARGET (.ndjson raw, or .tar.gz in Sanity's layout)."""
    settings = state.get_settings()
    store, files = open_lake(settings)
    try:
        count = export_store(store, files, target, dataset=settings.sanity_dataset, raw=raw)
    finally:
        store.close()
    click.echo(f"{count} documents written to {target}")


@content.command("query")
@click.argument("groq")
@click.option("--param", "params", multiple=True, help="k=v (v parsed as JSON when it can be).")
@click.option(
    "--perspective",
    type=click.Choice(["published", "drafts", "raw"]),
    default="published",
    show_default=True,
)
@pass_state
def query_command(state: CliState, groq: str, params: tuple[str, ...], perspective: str) -> None:
    """Run a GROQ query against the local lake and print the result as JSON."""

    values = dict(parse_param(p) for p in params)
    store, _ = open_lake(state.get_settings())
    try:
        result = store.query(groq, values, perspective=perspective)
    except GroqParseError as exc:
        click.echo(f"GROQ parse error: {exc.description}", err=True)
        click.echo(caret_lines(groq, exc.start, exc.end), err=True)
        sys.exit(1)
    except GroqQueryError as exc:
        click.echo(f"GROQ error: {exc}", err=True)
        sys.exit(1)
    finally:
        store.close()
    click.echo(json.dumps(result, indent=2, ensure_ascii=False))


@content.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5533, show_default=True)
@click.option("--dataset", default=None, help="Dataset name (default: SANITY_DATASET).")
@click.option(
    "--webhook",
    "webhook_urls",
    multiple=True,
    help="URL to send document webhooks to, signed with SANITY_WEBHOOK_SECRET.",
)
@pass_state
def serve_command(
    state: CliState, host: str, port: int, dataset: str | None, webhook_urls: tuple[str, ...]
) -> None:
    """Serve the lake's Sanity-compatible API (query, mutate, doc, assets) on HOST:PORT."""
    from werkzeug.serving import run_simple

    settings = state.get_settings()
    observability.log_to_stderr(settings.log_level)  # a server: its log is its console
    if dataset:
        settings = settings.model_copy(update={"sanity_dataset": dataset})
    secret = settings.sanity_webhook_secret.get_secret_value()
    hooks = [{"url": url, "secret": secret} for url in webhook_urls]
    app = create_lake_app_from_settings(settings, webhooks=hooks)
    click.echo(
        f"lake for project {settings.sanity_project_id!r}, dataset {settings.sanity_dataset!r}"
        f" on http://{host}:{port}"
    )
    run_simple(host, port, app, threaded=True)


@content.command("push")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--to", "target", type=click.Choice(["sanity"]), required=True)
@click.option("--project-id", default=None, help="Sanity project id (default: settings).")
@click.option("--token", default=None, envvar="SANITY_WRITE_TOKEN", help="Write token.")
@click.option("--api-url", default=None, help="API base (default: the project's api host).")
@click.option("--batch-size", default=100, show_default=True)
@pass_state
def push_command(
    state: CliState,
    source: Path,
    target: str,
    project_id: str | None,
    token: str | None,
    api_url: str | None,
    batch_size: int,
) -> None:
    """Seed a Sanity dataset from an export, in batched transactions."""
    try:
        with _remote_client(state, project_id, token, api_url) as client:
            _push(source, client, batch_size)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from exc


@content.command("check")
@click.argument("source", required=False, type=click.Path(exists=True, path_type=Path))
def check_command(source: Path | None) -> None:
    """Validate an export (folder, .ndjson, .tar.gz; default: the demo catalog) against the
    content model and the print-readiness rule."""
    try:
        contents = read_export(source or DEMO_CATALOG)
        documents, _ = resolve_assets(
            contents, project_id="check", dataset="check", cdn_base="http://check.invalid"
        )
    except ExportError as exc:
        raise click.ClickException(str(exc)) from exc
    problems = check_export(documents)
    for problem in problems:
        click.echo(str(problem))
    for warning in market_warnings(documents):
        click.echo(f"warning: {warning}")
    if problems:
        click.echo(f"{len(problems)} problem(s) in {len(contents.documents)} documents")
        sys.exit(1)
    click.echo(f"all {len(contents.documents)} documents are valid and print-ready")
