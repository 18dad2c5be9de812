"""Every GROQ query of the shop front, in one place (field names from ``cms_schema``).

Projections return only what pages need. Listings ask for inventory in a second, cached
query by productUid (``in $uids``) instead of a correlated subquery per product.
"""

from __future__ import annotations

IMAGE = "{asset, hotspot, crop, alt}"

CARD = f"""{{
  _id, title, "slug": slug.current, currency, basePrice, featured,
  "sizes": sizes, "colours": colours[]{{name, hex}},
  "sizeSurcharges": sizeSurcharges[]{{size, amount}},
  "prices": prices[]{{market, basePrice, "sizeSurcharges": sizeSurcharges[]{{size, amount}}}},
  "variants": variants[]{{_key, size, colour, productUid, limitedQuantity, price}},
  "image": design->artworkFront{IMAGE},
  "designTitle": design->title,
  "design": design->{{"printFront": printFileFront.asset, "printBack": printFileBack.asset}}
}}"""

DETAIL = f"""{{
  _id, _updatedAt, title, "slug": slug.current, description, currency, basePrice, featured,
  gelatoFamily, "sizes": sizes, "colours": colours[]{{name, hex}},
  "sizeSurcharges": sizeSurcharges[]{{size, amount}},
  "prices": prices[]{{market, basePrice, "sizeSurcharges": sizeSurcharges[]{{size, amount}}}},
  "variants": variants[]{{_key, size, colour, productUid, limitedQuantity, price}},
  "design": design->{{
    _id, title, "slug": slug.current, story, sustainability,
    "front": artworkFront{IMAGE}, "back": artworkBack{IMAGE},
    "printFront": printFileFront.asset, "printBack": printFileBack.asset
  }},
  "categories": categories[]->{{_id, title, "slug": slug.current}},
  seo
}}"""

PUBLISHED_PRODUCT = '_type == "product" && published == true'

#: What a product picture is made of: the print files and the colours.
GARMENT = (
    '*[_type == "product" && published == true && _id == $id][0]{'
    ' "colours": colours[]{name, hex},'
    ' "design": design->{"printFront": printFileFront.asset, "printBack": printFileBack.asset}}'
)

PRODUCT_BY_SLUG = f"*[{PUBLISHED_PRODUCT} && slug.current == $slug][0]{DETAIL}"
PRODUCT_BY_ID = f"*[{PUBLISHED_PRODUCT} && _id == $id][0]{DETAIL}"
PRODUCTS_BY_IDS = f"*[{PUBLISHED_PRODUCT} && _id in $ids]{DETAIL}"

CATEGORIES = (
    '*[_type == "category"] | order(order asc, title asc)'
    '{_id, title, "slug": slug.current, description}'
)
CATEGORY_BY_SLUG = (
    '*[_type == "category" && slug.current == $slug][0]'
    '{_id, title, "slug": slug.current, description}'
)

#: Listing filter: every condition is a param, `null` meaning "any". There is no price
#: condition: the price a shopper pays comes from the variants and their availability (see
#: ``Catalog.listing``), which GROQ cannot see.
LISTING_FILTER = (
    f"{PUBLISHED_PRODUCT}"
    " && ($category == null || references($category))"
    " && ($colour == null || $colour in colours[].name)"
    " && ($size == null || $size in sizes)"
)
#: Sort names → GROQ order. The price sorts are finished in Python by the "from" price;
#: GROQ orders them by title, which then breaks ties.
SORTS = {
    "featured": "featured desc, title asc",
    "price-asc": "title asc",
    "price-desc": "title asc",
    "newest": "_createdAt desc, title asc",
    "title": "title asc",
}


def listing_query(sort: str) -> str:
    """One page of the listing for one of :data:`SORTS` (a fixed set: order() takes no
    params), and the count of all."""
    order = SORTS.get(sort, SORTS["featured"])
    return (
        f'{{"total": count(*[{LISTING_FILTER}]),'
        f' "items": *[{LISTING_FILTER}] | order({order}) [$start...$end]{CARD}}}'
    )


def listing_all_query(sort: str) -> str:
    """Every product of the listing, for filtering or sorting by price in Python."""
    order = SORTS.get(sort, SORTS["featured"])
    return f"*[{LISTING_FILTER}] | order({order}){CARD}"


SEARCH = (
    f"*[{PUBLISHED_PRODUCT} && (title match $q || description match $q"
    " || design->title match $q || design->tags match $q)]"
    " | score(title match $q, boost(design->title match $q, 0.8),"
    " boost(design->tags match $q, 0.6), boost(description match $q, 0.4))"
    f" [0...24]{CARD}"
)

FEATURED = f"*[{PUBLISHED_PRODUCT} && featured == true] | order(title asc) [0...8]{CARD}"

#: ``_id`` (and the legal pages' ids) are what a publish of those documents is matched by:
#: without them the cached settings outlived every siteSettings publish.
SITE_SETTINGS = """*[_id == "siteSettings"][0]{
  _id, _updatedAt, shopName, tagline, heroTitle, heroText, minimumMarginPercent,
  logo{asset, alt}, favicon{asset}, brandColours, typography, story, emailSenderName,
  navigation[]{label, href}, footerLinks[]{label, href},
  "featured": featured[]->_id,
  "legalPages": legalPages[]->{_id, title, "slug": slug.current}
}"""

PAGE_BY_SLUG = (
    '*[_type == "page" && slug.current == $slug][0]'
    '{_id, _updatedAt, title, "slug": slug.current, body, seo}'
)

MARKETS = '*[_type == "market"] | order(order asc, code asc){code, title, currency, countries}'

#: The size guide of a garment (a product's Gelato family).
SIZE_GUIDE = (
    '*[_type == "sizeGuide" && gelatoFamily == $family][0]'
    "{_id, _updatedAt, title, fit, howToMeasure,"
    " measurements[]{size, chestWidth, bodyLength, sleeveLength}}"
)

INVENTORY_FOR = '*[_type == "inventory" && productUid in $uids]{productUid, available}'

SITEMAP = """{
  "products": *[_type == "product" && published == true]{"slug": slug.current, _updatedAt},
  "categories": *[_type == "category"]{"slug": slug.current, _updatedAt},
  "pages": *[_type == "page"]{"slug": slug.current, _updatedAt}
}"""

DOCUMENT_ROUTE = '*[_id == $id][0]{_type, "slug": slug.current}'
