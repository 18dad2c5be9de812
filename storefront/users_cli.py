"""``storefront users …`` and ``storefront tokens …``: staff accounts and API tokens.

Operators and admins exist only because someone with shell access ran ``users create-admin``;
the web and API registration only ever make customers.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.accounts import services, twofactor
from storefront.accounts import tokens as token_service
from storefront.accounts.models import Customer
from storefront.accounts.roles import ROLES
from storefront.accounts.schemas import NewPassword, ResetRequest
from storefront.accounts.token_models import ApiToken
from storefront.clistate import CliState, pass_state
from storefront.db import Database
from storefront.fieldcrypt import email_matches
from storefront.web.forms import field_errors

STAFF_ROLES = ("operator", "admin")


@contextmanager
def _session(state: CliState, *, write: bool = False) -> Iterator[Session]:
    settings = state.get_settings()
    db = Database(settings.database_url, cipher=settings.field_cipher)
    try:
        with db.session_scope(write=write) as session:
            yield session
    finally:
        db.dispose()


def _checked(model: type[NewPassword] | type[ResetRequest], **values: str) -> str:
    """The one validated value, or a usage error with the same wording as the web forms."""
    try:
        parsed = model.model_validate(values)
    except ValidationError as exc:
        field, message = next(iter(field_errors(exc).items()))
        raise click.BadParameter(message, param_hint=field) from None
    return str(next(iter(parsed.model_dump().values())))


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return _checked(NewPassword, password=password)


# --- users -------------------------------------------------------------------------------------
@click.group()
def users() -> None:
    """Staff accounts (operators and admins)."""


@users.command("create-admin")
@click.argument("email")
@click.option("--role", type=click.Choice(STAFF_ROLES), default="admin", show_default=True)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@pass_state
def create_admin(state: CliState, email: str, role: str, password_stdin: bool) -> None:
    """Create a staff account, or give an existing account ROLE.

    An existing account keeps its password unless --password-stdin is given (or it has
    none yet, e.g. a guest who only ever ordered).
    """
    email = _checked(ResetRequest, email=email)
    with _session(state, write=True) as session:
        customer = services.find_by_email(session, email)
        if customer is None or customer.password_hash is None or password_stdin:
            password = _read_password(password_stdin)
        else:
            password = None
        if customer is None:
            customer = services.register(session, email, password or "", role=role)
            verb = "created"
        else:
            customer.role = role
            if password is not None:
                services.set_password(customer, password)
            verb = "updated"
        session.flush()
        click.echo(f"{verb} {customer.email} (id {customer.id}) with role {role}")


@users.command("reset-2fa")
@click.argument("email")
@pass_state
def reset_2fa(state: CliState, email: str) -> None:
    """Turn off a staff member's two-factor login (lost phone and recovery codes).

    Their recovery codes go too; with STAFF_2FA_REQUIRED they enrol again at their next
    login. Check who is asking before you run this: it is what a second factor protects.
    """
    email = _checked(ResetRequest, email=email)
    with _session(state, write=True) as session:
        customer = services.find_by_email(session, email)
        if customer is None:
            raise click.ClickException(f"no account with e-mail {email}")
        had = twofactor.reset(session, customer.id)
        email = customer.email
    if had:
        click.echo(f"two-factor login reset for {email}: they set it up again at their next login")
    else:
        click.echo(f"{email} had no two-factor login; nothing to reset")


# --- tokens ------------------------------------------------------------------------------------
@click.group()
def tokens() -> None:
    """API tokens (Authorization: Bearer …)."""


@tokens.command("create")
@click.option("--email", required=True, help="The account the token acts for.")
@click.option("--role", type=click.Choice(ROLES), default="customer", show_default=True)
@click.option("--name", default="", help="What the token is for (shown in listings).")
@pass_state
def create_token(state: CliState, email: str, role: str, name: str) -> None:
    """Issue a token and print it once: only its hash is stored."""
    with _session(state, write=True) as session:
        customer = services.find_by_email(session, email)
        if customer is None:
            raise click.ClickException(f"no account with e-mail {email}")
        try:
            issued = token_service.create_token(session, customer, role=role, name=name)
        except token_service.TokenError as exc:
            raise click.ClickException(str(exc)) from None
        token_id = issued.token.id
    click.echo(
        f"token {token_id} for {customer.email} ({role}). Store it now; it is not shown again:",
        err=True,
    )
    click.echo(issued.plaintext)


@tokens.command("list")
@click.option("--email", default=None, help="Only this account's tokens.")
@pass_state
def list_tokens(state: CliState, email: str | None) -> None:
    """All tokens, revoked ones included (prefix only, never the secret)."""
    with _session(state) as session:
        stmt = (
            select(ApiToken, Customer.email)
            .join(Customer, Customer.id == ApiToken.customer_id)
            .order_by(ApiToken.id)
        )
        if email:
            stmt = stmt.where(email_matches(session, Customer.email_index, email))
        rows = session.execute(stmt).all()
    if not rows:
        click.echo("no API tokens")
        return
    click.echo("id\temail\trole\tprefix\tname\tcreated\tlast used\tstatus")
    for token, owner in rows:
        status = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        click.echo(
            f"{token.id}\t{owner}\t{token.role}\t{token.token_prefix}…\t{token.name}\t"
            f"{token.created_at:%Y-%m-%d}\t{used}\t{status}"
        )


@tokens.command("revoke")
@click.argument("token_id", type=int)
@pass_state
def revoke_token(state: CliState, token_id: int) -> None:
    """Revoke token TOKEN_ID at once (idempotent)."""
    with _session(state, write=True) as session:
        try:
            token = token_service.revoke_token(session, token_id)
        except token_service.TokenNotFound as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"revoked token {token.id} ({token.token_prefix}…)")
