"""The editor's view of a campaign: a signed preview link and "send a test".

The Studio's "Open preview" on a campaign goes to ``/campaigns/preview/request?doc=<id>``;
a signed-in operator is sent on to a signed link (one hour) that shows the e-mail as
Mailchimp will get it — the draft when there is one — its text part and what still stops
it from being published. Operators can send a test of exactly that revision to named
addresses through Mailchimp's ``/actions/test``; the Mailchimp campaign it creates is the
one the real send of that revision uses (see ``storefront.newsletter.campaigns.dispatch``).
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from cms_schema.campaigns import campaign_problems
from storefront.container import campaign_dispatcher, campaign_renderer, services
from storefront.errors import BadRequest, NotFound, ServiceUnavailable
from storefront.mailchimp.provider import NewsletterPermanentError, NewsletterTransientError
from storefront.newsletter.campaigns.dispatch import AlreadyDone, Busy, load_campaign
from storefront.newsletter.campaigns.document import CampaignDoc
from storefront.signing import InvalidToken, make_token, read_token
from storefront.urls import absolute_url
from storefront.web.auth import access, current_user

bp = Blueprint("campaigns", __name__)
MAX_TEST_ADDRESSES = 10
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
#: The e-mail shown on its own: inline styles allowed, no script, framed only by the shop.
EMAIL_CSP = (
    "default-src 'none'; img-src 'self' https: http: data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'"
)


def preview_link(document_id: str) -> str:
    return absolute_url(
        "campaigns.preview", token=make_token("campaign-preview", {"doc": document_id})
    )


def _campaign(token: str) -> tuple[str, CampaignDoc]:
    try:
        doc_id = str(read_token("campaign-preview", token).get("doc") or "")
    except InvalidToken as exc:
        raise NotFound(f"This preview link is {exc.reason}. Open the preview again.") from exc
    doc = load_campaign(services().sanity_writer, doc_id.removeprefix("drafts."), drafts=True)
    if doc is None:
        raise NotFound("This campaign no longer exists.")
    return doc_id, doc


@bp.get("/campaigns/preview/request")
@access("operator")
def preview_request() -> ResponseReturnValue:
    doc_id = request.args.get("doc", "").strip()
    if not doc_id:
        raise BadRequest("Say which campaign to preview: ?doc=<document id>.")
    return redirect(preview_link(doc_id.removeprefix("drafts.")), 303)


@bp.get("/campaigns/preview/<token>")
@access("public")
def preview(token: str) -> ResponseReturnValue:
    _, doc = _campaign(token)
    raw = services().sanity_writer.query(
        "*[_id == $id][0]", {"id": doc.published_id}, perspective="drafts", use_cdn=False
    )
    email = campaign_renderer(services()).render(doc)
    user = current_user()
    return render_template(
        "campaigns/preview.html",
        doc=doc,
        email=email,
        token=token,
        problems=campaign_problems(raw if isinstance(raw, dict) else None),
        can_test=bool(user and user.has_role("operator")),
    )


@bp.get("/campaigns/preview/<token>/email.html")
@access("public")
def preview_email(token: str) -> ResponseReturnValue:
    _, doc = _campaign(token)
    html = campaign_renderer(services()).render(doc).html
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = EMAIL_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/campaigns/preview/<token>/test")
@access("operator")
def send_test(token: str) -> ResponseReturnValue:
    _, doc = _campaign(token)
    raw = request.form.get("addresses", "")
    emails = [e for e in re.split(r"[\s,;]+", raw) if e]
    bad = [e for e in emails if not _EMAIL.match(e)]
    if not emails or bad or len(emails) > MAX_TEST_ADDRESSES:
        raise BadRequest(
            f"Give 1 to {MAX_TEST_ADDRESSES} e-mail addresses, separated by commas or spaces"
            + (f"; not an address: {', '.join(bad[:3])}" if bad else "")
            + ".",
            code="bad_addresses",
        )
    try:
        campaign_dispatcher(services()).prepare_test(doc, emails)
    except AlreadyDone as exc:
        raise BadRequest(
            f"No test sent: {exc}. Edit the campaign (a new revision) to test again.",
            code="campaign_done",
        ) from exc
    except Busy as exc:
        raise ServiceUnavailable(
            "This campaign is being sent right now; try the test again in a minute."
        ) from exc
    except NewsletterTransientError as exc:
        raise ServiceUnavailable("Mailchimp did not answer; try again in a minute.") from exc
    except NewsletterPermanentError as exc:
        raise BadRequest(f"Mailchimp refused the test: {exc.message}", code="mailchimp") from exc
    flash(f"Test sent to {', '.join(emails)}.")
    return redirect(url_for("campaigns.preview", token=token), 303)
