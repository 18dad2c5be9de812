"""Mailchimp's audience webhook: unsigned, so a secret in the URL and a re-read of the member."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from storefront.container import services
from storefront.errors import BadRequest, NotFound
from storefront.mailchimp.provider import MemberStatus, NewsletterError, WebhookMalformed
from storefront.newsletter import services as subscriptions
from storefront.signing import secrets_match
from storefront.web.auth import access

bp = Blueprint("mailchimp_webhooks", __name__)
LEFT = (MemberStatus.UNSUBSCRIBED, MemberStatus.CLEANED, MemberStatus.ARCHIVED)


@bp.route("/webhooks/mailchimp/<secret>", methods=["GET", "POST"])
@access("webhook")
def mailchimp(secret: str) -> ResponseReturnValue:
    expected = services().settings.mailchimp_webhook_secret.get_secret_value()
    if not secrets_match(secret, expected):
        raise NotFound()
    if request.method == "GET":  # Mailchimp checks the URL when it is saved
        return jsonify(ok=True)
    provider = services().mailing_list
    try:
        notice = provider.parse_webhook(request.form)
    except WebhookMalformed as exc:
        raise BadRequest(str(exc), code="bad_event") from exc
    if notice.kind not in ("unsubscribe", "cleaned"):
        return jsonify(ok=True, outcome="ignored")
    try:
        member = provider.get_member(notice.email)  # the webhook is a hint, not the truth
    except NewsletterError:
        return jsonify(ok=False, outcome="retry later"), 503
    if member is None or member.status not in LEFT:
        return jsonify(ok=True, outcome="not confirmed by the provider")
    with services().db.session_scope(write=True) as session:
        subscriptions.mark_left_at_provider(session, notice.email, str(member.status))
    return jsonify(ok=True, outcome="unsubscribed")
