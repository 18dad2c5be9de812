"""Web security in one place: CSRF on form posts, security headers, rate limits.

- CSRF (Flask-WTF) guards every unsafe request made with the session cookie. Webhooks (their
  own signatures), the emulators and bearer-token API calls are exempt, and so is an API call
  whose session holds no login (no ambient credential to forge with: it gets the 401 any
  anonymous caller gets, and a cross-site page cannot send JSON without CORS). A form post without
  a session cookie (from a page shared caches may keep, which carries no token: see
  :mod:`storefront.web.httpcache`) has no session to forge with; it is accepted only when the
  browser says it comes from our own origin (``Sec-Fetch-Site``, else ``Origin``, else
  ``Referer``), so another site cannot make a visitor's browser post it either.
- Headers: a CSP without inline script, frame-ancestors none, a strict referrer policy, HSTS
  in production.
- Rate limits (Flask-Limiter): counted in this process by default
  (:mod:`storefront.web.ratelimit_store`), in Redis when ``REDIS_URL`` is set; routes
  declare theirs with ``limiter.limit(...)``. Pages a shared cache may serve to anyone
  (:mod:`storefront.web.httpcache`) are not limited: a CDN answers them without asking us.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect

from storefront.config import Settings
from storefront.errors import error_response
from storefront.web.auth import LOGIN_KEY
from storefront.web.httpcache import renders_shared_page
from storefront.web.ratelimit_store import SCHEME as PROCESS_MEMORY

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
limiter.request_filter(renders_shared_page)

# The opt-out link carries its own proof (a signed address) and is posted by mailbox
# providers' one-click button (RFC 8058), which has no session or token.
CSRF_EXEMPT_PREFIXES = ("/webhooks/", "/_emulators/", "/reviews/opt-out/")
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def same_origin_post(base_url: str) -> bool:
    """The browser says this request was sent by one of our own pages (our origin is the
    one the request came to, or the configured ``BASE_URL``'s)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    ours = {_origin(request.host_url), _origin(base_url)}
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        return origin in ours
    referer = request.headers.get("Referer")
    return bool(referer and _origin(referer) in ours)


def content_security_policy(settings: Settings) -> str:
    images = {"'self'", "data:", "https://cdn.sanity.io", _origin(settings.sanity_public_url)}
    # Checkout forms post to us and we redirect to the provider's hosted page: Chromium
    # applies form-action to that redirect too.
    forms = {
        "'self'",
        _origin(settings.stripe_base),
        _origin(settings.paypal_base),
        "https://checkout.stripe.com",
        "https://www.paypal.com",
    }
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {' '.join(sorted(images))}",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            f"form-action {' '.join(sorted(forms))}",
            "frame-ancestors 'none'",
        ]
    )


def init_app(app: Flask, settings: Settings) -> None:
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # we decide below which requests need it
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session instead of a clock
        WTF_CSRF_SSL_STRICT=settings.base_url.startswith("https://"),
        RATELIMIT_STORAGE_URI=settings.redis_url or f"{PROCESS_MEMORY}://",
        RATELIMIT_ENABLED=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    policy = content_security_policy(settings)

    @app.before_request
    def _csrf() -> None:
        if request.method not in UNSAFE or request.path.startswith(CSRF_EXEMPT_PREFIXES):
            return
        if request.routing_exception is not None:  # a 404/405 says more than a CSRF error
            return
        no_session = app.config["SESSION_COOKIE_NAME"] not in request.cookies
        if request.path.startswith("/api/") and (
            request.headers.get("Authorization", "").startswith("Bearer ")
            or no_session
            or LOGIN_KEY not in session
        ):
            return  # a token, or no login in the cookie: no ambient credentials to forge with
        if no_session and same_origin_post(settings.base_url):
            return  # a form from a shared page: no session to forge with, and our own origin
        csrf.protect()

    @app.errorhandler(CSRFError)
    def _csrf_failed(exc: CSRFError) -> Response:
        return error_response(
            400,
            "csrf_failed",
            "This form has expired or was sent from elsewhere. Reload the page and try again.",
        )

    @app.after_request
    def _headers(response: Response) -> Response:
        h = response.headers
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if not request.path.startswith("/_emulators/"):
            h.setdefault("Content-Security-Policy", policy)
        if settings.is_production:
            h.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response
