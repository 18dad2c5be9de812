"""The brand comes from the CMS (siteSettings): name, logo, favicon, colours, font, the home
page's story and the e-mails' sender name. The font is served by the shop itself."""

from __future__ import annotations

import io

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from storefront.container import services

HTML = {"Accept": "text/html"}


def test_name_logo_story_colours_font_and_favicon(client: FlaskClient) -> None:
    home = client.get("/", headers=HTML).get_data(as_text=True)
    assert "<span>Grim Cotton</span>" in home and "Storefront" not in home
    assert "Why a skull wearing a leaf?" in home  # the brand's story, from siteSettings
    assert 'rel="icon" href="/favicon.ico"' in home
    css_url = home.split('<link rel="stylesheet" href="/brand.css')[1].split('"')[0]
    css = client.get("/brand.css" + css_url.replace("&amp;", "&")).get_data(as_text=True)
    assert "--moss:#2f5d3a" in css and '--font:"League Spartan"' in css
    site_css = client.get("/static/site.css").get_data(as_text=True)
    assert 'src:url("fonts/LeagueSpartan-Regular.woff2")' in site_css
    font = client.get("/static/fonts/LeagueSpartan-Regular.woff2")
    assert font.status_code == 200 and font.data[:4] == b"wOF2"
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon"
    assert Image.open(io.BytesIO(icon.data)).format == "ICO"


def test_the_sender_name_comes_from_the_site_settings(app: Flask) -> None:
    with app.app_context():
        message = services(app).composer.compose(
            "verify_email", "a@example.com", {"link": "http://x/verify", "email": "a@example.com"}
        )
    assert message["From"] == "Grim Cotton <shop@grimcotton.example>"
