"""Build the demo catalog: a Sanity (non-raw) export folder in ``cms_schema/demo/``.

    python -m cms_schema.demo_build

Deterministic: stable ids, fixed timestamps, artwork drawn by ``demo_art``: per design a
print file at print resolution (transparent, 300 dpi over Gelato's print area) and a smaller
display image of it; the generated files are committed.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

from PIL import Image

from cms_schema.demo_art import back_file, display_image, logo, print_file

DEMO = Path(__file__).with_name("demo")
STAMP = "2026-11-01T09:00:00Z"
BRAND = "Grim Cotton"
SIZES = ["S", "M", "L", "XL", "2XL"]
COLOURS = {
    "Black": ("black", "#151515"),
    "White": ("white", "#ffffff"),
    "Navy": ("navy", "#1d2a4d"),
    "Natural": ("natural", "#efe6d2"),
    "Forest Green": ("forest-green", "#2f5d3a"),
    "Heather Grey": ("heather-grey", "#9a9a9a"),
}
SIZE_UID = {"S": "s", "M": "m", "L": "l", "XL": "xl", "2XL": "2xl"}

#: Size guides per garment: id, Gelato family, title, fit, (size, chest, length, sleeve) in cm.
SIZE_GUIDES = [
    (
        "sizeGuide-crewneck-unisex-classic",
        "crewneck-unisex-classic",
        "Classic unisex crew-neck tee",
        "Regular fit, true to size. Between two sizes? Take the larger one: organic cotton "
        "shrinks a little in a hot wash (so wash it cold, the planet agrees).",
        [
            ("S", 47, 71, 20),
            ("M", 52, 74, 21),
            ("L", 56, 76, 22),
            ("XL", 61, 79, 23),
            ("2XL", 66, 81, 24),
        ],
    ),
    (
        "sizeGuide-crewneck-unisex-heavyweight",
        "crewneck-unisex-heavyweight",
        "Heavyweight unisex crew-neck tee",
        "Relaxed, boxy fit with dropped shoulders. For a closer fit, take one size down.",
        [
            ("S", 52, 70, 21),
            ("M", 55, 72, 22),
            ("L", 58, 74, 23),
            ("XL", 61, 76, 24),
            ("2XL", 64, 78, 25),
        ],
    ),
]

CATEGORIES = [
    ("category-gallows-humour", "Gallows Humour", "Grim jokes for a warming world.", 1),
    ("category-climate-anxiety", "Climate Anxiety", "Feelings, printed on organic cotton.", 2),
    ("category-compost-club", "Compost Club", "For people who get excited about soil.", 3),
]

# slug, title, category, colours, base price, back print?, limited?, featured?, lines, story
DESIGNS: list[dict[str, Any]] = [
    {
        "slug": "compost-happens",
        "motif": "apple-core",
        "accent": ("#c0492b", "#7fa35b"),
        "tags": ["apple", "compost", "fruit"],
        "back_lines": ["WE ROT", "SO YOU", "DON’T HAVE TO"],
        "title": "Compost Happens",
        "cat": "category-compost-club",
        "colours": ["Black", "Natural", "Forest Green"],
        "price": 2900,
        "featured": True,
        "lines": ["COMPOST", "HAPPENS"],
        "story": "Everything rots. Might as well make it useful.",
    },
    {
        "slug": "the-planet-is-fine",
        "motif": "burning-globe",
        "accent": ("#e07a2f", "#4f8fbf"),
        "tags": ["globe", "fire", "earth"],
        "title": "The Planet Is Fine (Said No One)",
        "cat": "category-climate-anxiety",
        "colours": ["White", "Black", "Navy"],
        "price": 3100,
        "featured": True,
        "lines": ["THE PLANET", "IS FINE", "(said no one)"],
        "story": "A shirt for the optimist in you, who is also lying.",
    },
    {
        "slug": "skeleton-gardener",
        "motif": "gardening-skull",
        "accent": ("#c9a227", "#7fa35b"),
        "tags": ["skull", "skeleton", "rake", "sprout"],
        "back_lines": ["DEAD", "GOOD AT", "GARDENING"],
        "title": "Skeleton Gardener",
        "cat": "category-gallows-humour",
        "colours": ["Black", "Forest Green", "Heather Grey"],
        "price": 3200,
        "featured": True,
        "lines": ["GROW", "WHILE YOU", "STILL CAN"],
        "story": "He watered his tomatoes to the very end. They were excellent.",
    },
    {
        "slug": "extinct-is-forever",
        "motif": "diamond",
        "accent": ("#5aa3c8", "#e8c547"),
        "tags": ["diamond", "gem", "extinction"],
        "title": "Extinct Is Forever",
        "cat": "category-gallows-humour",
        "colours": ["Black", "White", "Navy"],
        "price": 2900,
        "lines": ["EXTINCT", "IS", "FOREVER"],
        "story": "Diamonds are overrated anyway.",
    },
    {
        "slug": "fast-fashion-kills",
        "motif": "hanger",
        "accent": ("#d0603a", "#e8c547"),
        "tags": ["hanger", "shirt", "fashion"],
        "title": "Fast Fashion Kills (Slowly)",
        "cat": "category-climate-anxiety",
        "colours": ["Natural", "Black", "Heather Grey"],
        "price": 3000,
        "lines": ["FAST", "FASHION", "KILLS", "(slowly)"],
        "story": "Printed only when you order it, so this one kills nothing.",
    },
    {
        "slug": "worm-appreciation-society",
        "motif": "top-hat-worm",
        "accent": ("#d97b93", "#2f5d3a"),
        "tags": ["worm", "top hat", "soil"],
        "title": "Worm Appreciation Society",
        "cat": "category-compost-club",
        "colours": ["Forest Green", "Natural", "Navy"],
        "price": 2800,
        "lines": ["WORM", "APPRECIATION", "SOCIETY"],
        "story": "Members since the Cambrian. Meetings underground, obviously.",
    },
    {
        "slug": "last-glacier-tour",
        "motif": "melting-glacier",
        "accent": ("#4f8fbf", "#9cd3e6"),
        "tags": ["glacier", "mountain", "ice", "tour"],
        "back_lines": ["TOUR DATES", "2026: MELTING", "2027: GONE"],
        "title": "Last Glacier Tour 2026",
        "cat": "category-climate-anxiety",
        "colours": ["White", "Navy", "Heather Grey"],
        "price": 3400,
        "limited": 5,
        "featured": True,
        "lines": ["LAST", "GLACIER", "TOUR 2026"],
        "story": "A tour shirt for a band that is melting. Only five, like the glaciers.",
    },
    {
        "slug": "doom-scroll-detox",
        "motif": "phone-skull",
        "accent": ("#8e6bbf", "#7fc4a5"),
        "tags": ["skull", "phone", "screen"],
        "title": "Doom Scroll Detox",
        "cat": "category-climate-anxiety",
        "colours": ["Black", "White", "Natural"],
        "price": 2900,
        "lines": ["DOOM", "SCROLL", "DETOX"],
        "story": "Put the phone down. Read the shirt instead.",
    },
    {
        "slug": "reuse-or-die",
        "motif": "recycling-arrows",
        "accent": ("#3f9a5a", "#e8c547"),
        "tags": ["recycling", "arrows", "grave"],
        "title": "Reuse Or Die Trying",
        "cat": "category-gallows-humour",
        "colours": ["Black", "Forest Green", "Natural"],
        "price": 3000,
        "lines": ["REUSE", "OR DIE", "TRYING"],
        "story": "A lifestyle with a very clear ending.",
    },
    {
        "slug": "soil-is-the-new-black",
        "motif": "shovel",
        "accent": ("#b08a5a", "#6b4a2b"),
        "tags": ["shovel", "soil", "spade"],
        "title": "Soil Is The New Black",
        "cat": "category-compost-club",
        "colours": ["Black", "Natural", "Heather Grey"],
        "price": 2900,
        "lines": ["SOIL", "IS THE NEW", "BLACK"],
        "story": "Earthy, matte, and full of life. Unlike most fashion.",
    },
    {
        "slug": "rest-in-plastic",
        "motif": "tombstone-bottle",
        "accent": ("#4aa0c0", "#9a9a9a"),
        "tags": ["tombstone", "bottle", "plastic", "grave"],
        "back_lines": ["HERE LIES", "A BOTTLE", "DIED 2026", "DECOMPOSES 2476"],
        "title": "Rest In Plastic",
        "cat": "category-gallows-humour",
        "colours": ["White", "Black", "Navy"],
        "price": 3300,
        "limited": 3,
        "lines": ["REST", "IN", "PLASTIC"],
        "story": "Here lies a bottle. It will outlive us all. Three made, then never again.",
    },
    {
        "slug": "carbon-neutral-ghost",
        "motif": "ghost",
        "accent": ("#7fa35b", "#b4492d"),
        "tags": ["ghost", "leaf", "halo"],
        "title": "Carbon Neutral Ghost",
        "cat": "category-gallows-humour",
        "colours": ["White", "Heather Grey", "Navy"],
        "price": 2900,
        "lines": ["CARBON", "NEUTRAL", "GHOST"],
        "story": "Emits nothing. Haunts everything.",
    },
    {
        "slug": "feed-the-worms",
        "motif": "worms-and-skull",
        "accent": ("#d97b93", "#6b4a2b"),
        "tags": ["skull", "worms", "banana", "soil"],
        "title": "Feed The Worms, Not The Landfill",
        "cat": "category-compost-club",
        "colours": ["Forest Green", "Black", "Natural"],
        "price": 3100,
        "lines": ["FEED", "THE WORMS"],
        "story": "Your banana peel has a bright future. Yours is negotiable.",
    },
]


def _block(key: str, text: str, style: str = "normal", **extra: Any) -> dict[str, Any]:
    return {
        "_type": "block",
        "_key": key,
        "style": style,
        "markDefs": extra.pop("defs", []),
        "children": [
            {"_type": "span", "_key": f"{key}s", "text": text, "marks": extra.pop("marks", [])}
        ],
        **extra,
    }


def _doc(doc_id: str, doc_type: str, **fields: Any) -> dict[str, Any]:
    rev = hashlib.sha1(doc_id.encode()).hexdigest()[:22]  # noqa: S324 - a stable fake revision
    return {
        "_id": doc_id,
        "_type": doc_type,
        "_rev": rev,
        "_createdAt": STAMP,
        "_updatedAt": STAMP,
        **fields,
    }


def _image(rel: str, alt: str) -> dict[str, Any]:
    return {
        "_type": "image",
        "_sanityAsset": f"image@file://./images/{rel}",
        "hotspot": {
            "_type": "sanity.imageHotspot",
            "x": 0.5,
            "y": 0.45,
            "width": 0.7,
            "height": 0.7,
        },
        "alt": alt,
    }


#: The demo's markets: (code, title, currency, countries). Every shipping country is in one.
MARKETS = (
    (
        "EU",
        "European Union",
        "EUR",
        sorted(
            "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT "
            "LU MT NL PL PT RO SK SI ES SE".split()
        ),
    ),
    ("UK", "United Kingdom", "GBP", ["GB"]),
    ("US", "United States and elsewhere", "USD", ["US", "CA", "AU"]),
)


def build(out: Path = DEMO) -> list[dict[str, Any]]:
    if out.exists():
        shutil.rmtree(out)
    (out / "images").mkdir(parents=True)
    docs: list[dict[str, Any]] = []
    assets: dict[str, Any] = {}

    def save(png: bytes, alt: str, name: str) -> dict[str, Any]:
        sha1 = hashlib.sha1(png).hexdigest()  # noqa: S324 - Sanity names assets by SHA-1
        with Image.open(io.BytesIO(png)) as img:
            width, height = img.size
        rel = f"{sha1}-{width}x{height}.png"
        (out / "images" / rel).write_bytes(png)
        assets[f"image-{sha1}"] = {"originalFilename": f"{name}.png"}
        return _image(rel, alt)

    for cid, title, desc, order in CATEGORIES:
        docs.append(
            _doc(
                cid,
                "category",
                title=title,
                slug={"_type": "slug", "current": cid.removeprefix("category-")},
                description=desc,
                order=order,
            )
        )
    featured = []
    for i, d in enumerate(DESIGNS):
        design_id, product_id = f"design-{d['slug']}", f"product-{d['slug']}"
        accent, accent2 = d["accent"]
        front_print = print_file(d["motif"], d["lines"], accent, accent2)
        front = save(display_image(front_print), f"{d['title']}, front print", f"{d['slug']}")
        print_front = save(front_print, f"{d['title']}, front print file", f"{d['slug']}-print")
        back = print_back = None
        if d.get("back_lines"):
            back_print = back_file(d["motif"], d["back_lines"], accent, accent2)
            back = save(display_image(back_print), f"{d['title']}, back print", f"{d['slug']}-back")
            print_back = save(
                back_print, f"{d['title']}, back print file", f"{d['slug']}-back-print"
            )
        design = _doc(
            design_id,
            "design",
            title=d["title"],
            slug={"_type": "slug", "current": d["slug"]},
            tags=d["tags"],
            artworkFront=front,
            printFileFront=print_front,
            story=[
                _block("s1", d["story"]),
                _block(
                    "s2",
                    "Printed on 100% organic cotton, only after you "
                    "order it — no overstock, no landfill.",
                ),
            ],
            sustainability={
                "organicCottonPercent": 100,
                "waterSavedLitres": 2700 - 50 * (i % 5),
                "printLocation": "close to you, by Gelato's local partners",
                "certifications": ["GOTS organic cotton", "OEKO-TEX Standard 100"],
            },
        )
        if back and print_back:
            design["artworkBack"] = back
            design["printFileBack"] = print_back
        docs.append(design)
        variants = []
        for colour in d["colours"]:
            code = COLOURS[colour][0]
            for size in SIZES:
                variant: dict[str, Any] = {
                    "_key": f"{code}-{SIZE_UID[size]}",
                    "_type": "variant",
                    "size": size,
                    "colour": colour,
                    "productUid": (
                        "apparel_product_gca_t-shirt_gsc_crewneck_gcu_unisex_gqa_"
                        f"classic_gsi_{SIZE_UID[size]}_gco_{code}_gpr_"
                        f"{'4-4' if d.get('back_lines') else '4-0'}"
                    ),
                }
                if d.get("limited") and colour == d["colours"][0]:
                    variant["limitedQuantity"] = d["limited"]
                variants.append(variant)
        product = _doc(
            product_id,
            "product",
            title=d["title"],
            slug={"_type": "slug", "current": d["slug"]},
            design={"_type": "reference", "_ref": design_id},
            categories=[{"_type": "reference", "_ref": d["cat"], "_key": "c1"}],
            description=f"{d['title']} on a unisex organic-cotton crew-neck tee. {d['story']}",
            gelatoFamily="crewneck-unisex-classic",
            colours=[
                {"_key": COLOURS[c][0], "name": c, "hex": COLOURS[c][1]} for c in d["colours"]
            ],
            sizes=SIZES,
            basePrice=d["price"],
            sizeSurcharges=[{"_key": "2xl", "size": "2XL", "amount": 300}],
            currency="EUR",
            prices=[
                {
                    "_key": "uk",
                    "market": "UK",
                    "basePrice": d["price"] - 400,
                    "sizeSurcharges": [{"_key": "2xl", "size": "2XL", "amount": 250}],
                },
                {
                    "_key": "us",
                    "market": "US",
                    "basePrice": d["price"] + 300,
                    "sizeSurcharges": [{"_key": "2xl", "size": "2XL", "amount": 300}],
                },
            ],
            published=True,
            featured=bool(d.get("featured")),
            variants=variants,
            seo={"title": f"{d['title']} — organic tee", "description": d["story"][:155]},
        )
        docs.append(product)
        if d.get("featured"):
            featured.append({"_type": "reference", "_ref": product_id, "_key": d["slug"][:12]})

    pages = {
        "home": (
            "Home",
            [
                _block("h1", "Dark humour, light footprint", "h2"),
                _block(
                    "h2",
                    "We print each shirt only when someone orders it, on "
                    "organic cotton, in the print shop nearest to you.",
                ),
            ],
        ),
        "about": (
            "About us",
            [
                _block("a1", "Why we exist", "h2"),
                _block(
                    "a2",
                    "The planet is on fire and we made t-shirts about "
                    "it. At least they are printed on demand.",
                ),
                _block("a3", "No overstock", listItem="bullet", level=1),
                _block("a4", "Organic cotton", listItem="bullet", level=1),
                _block("a5", "Printed near you", listItem="bullet", level=1),
            ],
        ),
        "shipping": (
            "Shipping",
            [
                _block(
                    "sh1",
                    "Every shirt is printed in the Gelato partner "
                    "closest to you and ships in 3–6 working days.",
                ),
                _block("sh2", "Standard shipping within the EU costs €4.95."),
            ],
        ),
        "returns": (
            "Returns",
            [
                _block(
                    "r1",
                    "Printed on demand means we cannot restock returns, "
                    "but faulty or wrong shirts are replaced for free.",
                ),
                _block(
                    "r2",
                    "Write to us within 30 days.",
                    marks=["k1"],
                    defs=[
                        {"_key": "k1", "_type": "link", "href": "mailto:hello@grimcotton.example"}
                    ],
                ),
            ],
        ),
        "privacy": (
            "Privacy",
            [
                _block("p1", "We keep what we need to make and send your shirt, and nothing else."),
                _block(
                    "p2", "You can download or delete your data from your account page at any time."
                ),
            ],
        ),
    }
    for slug, (title, body) in pages.items():
        docs.append(
            _doc(
                f"page-{slug}",
                "page",
                title=title,
                slug={"_type": "slug", "current": slug},
                body=body,
                seo={
                    "title": f"{title} · {BRAND}",
                    "description": body[-1]["children"][0]["text"][:155],
                },
            )
        )
    docs.append(
        _doc(
            "siteSettings",
            "siteSettings",
            shopName=BRAND,
            tagline="Organic tees for the end of the world.",
            logo=save(logo(512), f"{BRAND} logo: a skull wearing a leaf", "logo"),
            favicon=save(logo(64), f"{BRAND}", "favicon"),
            brandColours={
                "ink": "#151515",
                "paper": "#f6f3ea",
                "accent": "#2f5d3a",
                "highlight": "#b4492d",
            },
            typography="League Spartan",
            heroTitle="Shirts for a planet that is (mostly) fine.",
            heroText="Organic cotton, dark humour, printed on demand close to you. Nothing is made "
            "that nobody wants.",
            story=[
                _block("b1", "Why a skull wearing a leaf?", "h2"),
                _block(
                    "b2",
                    "Because the end of the world deserves better merchandise. We started "
                    f"{BRAND} after reading one climate report too many and laughing in the "
                    "wrong places.",
                ),
                _block(
                    "b3",
                    "Every shirt is organic cotton, printed only when you order it, in the "
                    "print shop nearest to you. No warehouse of unsold jokes, no landfill. "
                    "The jokes are grim; the supply chain is not.",
                ),
            ],
            emailSenderName=BRAND,
            featured=featured,
            navigation=[{"_key": "shop", "label": "Shop", "href": "/shop"}],
            footerLinks=[
                {"_key": p, "label": p.title(), "href": f"/pages/{p}"}
                for p in ("about", "shipping", "returns", "privacy")
            ],
            shippingCountries=[
                "DE",
                "AT",
                "NL",
                "FR",
                "BE",
                "ES",
                "IT",
                "SE",
                "DK",
                "IE",
                "GB",
                "US",
                "CA",
                "AU",
            ],
            minimumMarginPercent=60,
            legalPages=[
                {"_type": "reference", "_ref": f"page-{p}", "_key": p}
                for p in ("shipping", "returns", "privacy")
            ],
        )
    )
    for order, (code, title, currency, countries) in enumerate(MARKETS):
        docs.append(
            _doc(
                f"market-{code.lower()}",
                "market",
                title=title,
                code=code,
                currency=currency,
                countries=list(countries),
                order=order,
            )
        )
    for guide_id, family, title, fit, rows in SIZE_GUIDES:
        docs.append(
            _doc(
                guide_id,
                "sizeGuide",
                title=title,
                gelatoFamily=family,
                fit=fit,
                howToMeasure="Lay a shirt you like flat. Chest: armpit to armpit. Length: from "
                "the highest point of the shoulder to the hem. Sleeve: shoulder seam to cuff.",
                measurements=[
                    {
                        "_key": size.lower(),
                        "_type": "measurement",
                        "size": size,
                        "chestWidth": chest,
                        "bodyLength": length,
                        "sleeveLength": sleeve,
                    }
                    for size, chest, length, sleeve in rows
                ],
            )
        )
    docs.append(
        _doc(
            "campaign-welcome",
            "newsletterCampaign",
            title="Welcome",
            subject="Welcome to the end of the world (in style)",
            preheader="New designs, bad news, good jokes.",
            sendAt="2026-12-01T09:00:00Z",
            audience={"kind": "everyone"},
            ready=False,
            body=[
                _block("w1", "Thanks for joining. New designs every month."),
                _block(
                    "w2",
                    "Start with the one that started it all:",
                    defs=[{"_type": "link", "_key": "l1", "href": "/"}],
                    marks=["l1"],
                ),
                {
                    "_type": "productCard",
                    "_key": "w3",
                    "product": {"_type": "reference", "_ref": "product-compost-happens"},
                },
            ],
        )
    )
    docs.sort(key=lambda doc: doc["_id"])
    with (out / "data.ndjson").open("w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(json.dumps(doc, ensure_ascii=False, sort_keys=True) + "\n")
    (out / "assets.json").write_text(json.dumps(assets, indent=2, sort_keys=True) + "\n")
    return docs


if __name__ == "__main__":
    built = build()
    size = sum(p.stat().st_size for p in (DEMO / "images").glob("*"))
    print(f"wrote {len(built)} documents and {size // 1024} KB of artwork to {DEMO}")
