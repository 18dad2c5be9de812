"""The content model, declared once. Studio schema, validation and the shop read from here."""

from __future__ import annotations

from cms_schema.declarations import DocumentType, Field

ISO_COUNTRY = r"^[A-Z]{2}$"
ISO_CURRENCY = r"^[A-Z]{3}$"
HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"
MARKET_CODE = r"^[A-Z]{2,8}$"
SIZES = ("XS", "S", "M", "L", "XL", "2XL", "3XL")
#: Gelato's t-shirt families the shop sells; a product names one, a size guide measures one.
GARMENT_FAMILIES = ["crewneck-unisex-classic", "crewneck-unisex-heavyweight"]

BLOCK = Field("block", "block")
LINK = Field(
    "link",
    "object",
    fields=(Field("label", "string", required=True), Field("href", "string", required=True)),
)
SEO = Field(
    "seo",
    "object",
    "SEO",
    fields=(
        Field("title", "string", max_length=70),
        Field("description", "text", max_length=160),
        Field("ogImage", "image", "Social image"),
    ),
)


def slug(source: str = "title") -> Field:
    return Field("slug", "slug", required=True, options={"source": source, "maxLength": 96})


def image(name: str, title: str = "", *, required: bool = False) -> Field:
    return Field(
        name,
        "image",
        title,
        required=required,
        options={"hotspot": True},
        fields=(Field("alt", "string", "Alternative text"),),
    )


DESIGN = DocumentType(
    "design",
    "Design",
    preview_media="artworkFront",
    fields=(
        Field("title", "string", required=True, max_length=80),
        slug(),
        Field(
            "tags",
            "array",
            "Motifs and tags (search finds them)",
            of=(Field("tag", "string"),),
            options={"layout": "tags"},
        ),
        image("artworkFront", "Artwork (front)", required=True),
        image("artworkBack", "Artwork (back)"),
        image("printFileFront", "Print file (front)", required=True),
        image("printFileBack", "Print file (back)"),
        Field("story", "array", of=(BLOCK, image("image"))),
        Field(
            "sustainability",
            "object",
            fields=(
                Field("organicCottonPercent", "number", "Organic cotton (%)", min=0, max=100),
                Field("waterSavedLitres", "number", "Water saved (litres)", min=0),
                Field("printLocation", "string"),
                Field("certifications", "array", of=(Field("certification", "string"),)),
            ),
        ),
    ),
)

SIZE_SURCHARGES = Field(
    "sizeSurcharges",
    "array",
    of=(
        Field(
            "surcharge",
            "object",
            fields=(
                Field("size", "string", required=True, options={"list": list(SIZES)}),
                Field("amount", "number", "Amount (cents)", required=True, min=0, integer=True),
            ),
        ),
    ),
)

VARIANT = Field(
    "variant",
    "object",
    fields=(
        Field("size", "string", required=True, options={"list": list(SIZES)}),
        Field("colour", "string", required=True),
        Field(
            "productUid",
            "string",
            "Gelato productUid",
            required=True,
            pattern=r"^[a-z0-9_-]+$",
            pattern_name="a Gelato productUid",
        ),
        Field("limitedQuantity", "number", "Limited edition quantity", min=1, integer=True),
        Field("price", "number", "Price override (cents)", min=1, integer=True),
    ),
)

PRODUCT = DocumentType(
    "product",
    "Product",
    preview_subtitle="design.title",
    preview_media="design.artworkFront",
    print_readiness=True,
    fields=(
        Field("title", "string", required=True, max_length=80),
        slug(),
        Field("design", "reference", required=True, to=("design",)),
        Field("categories", "array", of=(Field("category", "reference", to=("category",)),)),
        Field("description", "text", max_length=500),
        Field(
            "gelatoFamily",
            "string",
            "Gelato product family",
            required=True,
            options={"list": GARMENT_FAMILIES},
        ),
        Field(
            "colours",
            "array",
            of=(
                Field(
                    "colour",
                    "object",
                    fields=(
                        Field("name", "string", required=True),
                        Field(
                            "hex",
                            "string",
                            pattern=r"^#[0-9a-fA-F]{6}$",
                            pattern_name="a #rrggbb colour",
                        ),
                    ),
                ),
            ),
        ),
        Field("sizes", "array", of=(Field("size", "string"),), options={"list": list(SIZES)}),
        Field("basePrice", "number", "Base price (cents)", required=True, min=1, integer=True),
        SIZE_SURCHARGES,
        Field(
            "currency",
            "string",
            required=True,
            pattern=ISO_CURRENCY,
            pattern_name="an ISO 4217 code",
            options={"list": ["EUR", "USD", "GBP"]},
        ),
        Field(
            "prices",
            "array",
            "Prices per market",
            description=(
                "A base price and size surcharges per market, in the market's currency. "
                "Without one the product is sold only in markets of its own currency."
            ),
            of=(
                Field(
                    "marketPrice",
                    "object",
                    fields=(
                        Field(
                            "market",
                            "string",
                            "Market code",
                            required=True,
                            pattern=MARKET_CODE,
                            pattern_name="a market's code, e.g. UK",
                        ),
                        Field(
                            "basePrice",
                            "number",
                            "Base price (minor units)",
                            required=True,
                            min=1,
                            integer=True,
                        ),
                        SIZE_SURCHARGES,
                    ),
                ),
            ),
        ),
        Field("published", "boolean", "Published in the shop"),
        Field("featured", "boolean"),
        Field("variants", "array", required=True, of=(VARIANT,)),
        SEO,
    ),
)

#: Where the shop sells, in which currency: the market follows the shipping country. A
#: country belongs to one market; a product is sold in a market only with a price for it
#: (``cms_schema/pricing.py``).
MARKET = DocumentType(
    "market",
    "Market",
    preview_subtitle="currency",
    fields=(
        Field("title", "string", required=True, max_length=60),
        Field(
            "code",
            "string",
            required=True,
            pattern=MARKET_CODE,
            pattern_name="2–8 capital letters, e.g. EU",
        ),
        Field(
            "currency",
            "string",
            required=True,
            pattern=ISO_CURRENCY,
            pattern_name="an ISO 4217 code",
            options={"list": ["EUR", "USD", "GBP"]},
        ),
        Field(
            "countries",
            "array",
            "Shipping countries in this market",
            required=True,
            of=(Field("country", "string", pattern=ISO_COUNTRY, pattern_name="an ISO-2 code"),),
        ),
        Field("order", "number", "Order in the country switcher", min=0, integer=True),
    ),
)

SIZE_GUIDE = DocumentType(
    "sizeGuide",
    "Size guide",
    preview_title="title",
    fields=(
        Field("title", "string", "Garment", required=True, max_length=80),
        Field(
            "gelatoFamily",
            "string",
            "Gelato product family (the products it measures)",
            required=True,
            options={"list": GARMENT_FAMILIES},
        ),
        Field("fit", "text", "Fit, in a sentence or two", max_length=300),
        Field("howToMeasure", "text", "How to measure", max_length=500),
        Field(
            "measurements",
            "array",
            "Measurements per size (cm, the garment laid flat)",
            required=True,
            of=(
                Field(
                    "measurement",
                    "object",
                    fields=(
                        Field("size", "string", required=True, options={"list": list(SIZES)}),
                        Field("chestWidth", "number", "Chest width (cm)", required=True, min=1),
                        Field("bodyLength", "number", "Body length (cm)", required=True, min=1),
                        Field("sleeveLength", "number", "Sleeve length (cm)", min=1),
                    ),
                ),
            ),
        ),
    ),
)

CATEGORY = DocumentType(
    "category",
    "Category",
    fields=(
        Field("title", "string", required=True, max_length=60),
        slug(),
        Field("description", "text", max_length=300),
        Field("order", "number", min=0, integer=True),
    ),
)

PAGE = DocumentType(
    "page",
    "Page",
    fields=(
        Field("title", "string", required=True, max_length=80),
        slug(),
        Field("body", "array", of=(BLOCK, image("image"))),
        SEO,
    ),
)

SITE_SETTINGS = DocumentType(
    "siteSettings",
    "Site settings",
    singleton=True,
    preview_title="shopName",
    fields=(
        Field("shopName", "string", required=True),
        Field("tagline", "string"),
        image("logo", "Logo"),
        image("favicon", "Favicon (square)"),
        Field(
            "brandColours",
            "object",
            "Brand colours",
            fields=tuple(
                Field(name, "string", title, pattern=HEX_COLOUR, pattern_name="a #rrggbb colour")
                for name, title in (
                    ("ink", "Text"),
                    ("paper", "Background"),
                    ("accent", "Links and buttons"),
                    ("highlight", "Highlights"),
                )
            ),
        ),
        Field(
            "typography",
            "string",
            "Font",
            options={"list": ["League Spartan", "System"]},
        ),
        Field("heroTitle", "string"),
        Field("heroText", "text"),
        Field("story", "array", "The brand's story (home page)", of=(BLOCK,)),
        Field("emailSenderName", "string", "Sender name of e-mails", max_length=60),
        Field(
            "featured",
            "array",
            "Featured products",
            of=(Field("product", "reference", to=("product",)),),
        ),
        Field("navigation", "array", of=(LINK,)),
        Field("footerLinks", "array", of=(LINK,)),
        Field(
            "shippingCountries",
            "array",
            "Shipping countries (no longer used)",
            description="Not read by the shop: it ships to the countries of its markets.",
            hidden=True,
            of=(Field("country", "string", pattern=ISO_COUNTRY, pattern_name="an ISO-2 code"),),
        ),
        Field(
            "minimumMarginPercent", "number", "Minimum margin (%)", required=True, min=0, max=500
        ),
        Field("legalPages", "array", of=(Field("page", "reference", to=("page",)),)),
    ),
)

INVENTORY = DocumentType(
    "inventory",
    "Inventory",
    read_only=True,
    preview_title="productUid",
    fields=(
        Field("productUid", "string", required=True, read_only=True),
        Field("product", "reference", to=("product",), weak=True, read_only=True),
        Field("available", "boolean", read_only=True),
        Field(
            "regions",
            "array",
            read_only=True,
            of=(
                Field(
                    "region",
                    "object",
                    fields=(Field("region", "string"), Field("status", "string")),
                ),
            ),
        ),
        Field("checkedAt", "datetime", read_only=True),
    ),
)

PRODUCT_CARD = Field(
    "productCard",
    "object",
    "Product card",
    fields=(
        Field("product", "reference", required=True, to=("product",)),
        Field("colour", "string", "Colour shown (default: the product's first)"),
    ),
)

NEWSLETTER_CAMPAIGN = DocumentType(
    "newsletterCampaign",
    "Newsletter campaign",
    preview_subtitle="delivery.state",
    custom_rule=("campaigns", "campaignProblems"),
    fields=(
        Field("title", "string", required=True),
        Field("subject", "string", required=True, max_length=150),
        Field(
            "preheader",
            "string",
            "Preheader (the line inboxes show after the subject)",
            max_length=150,
        ),
        Field("body", "array", of=(BLOCK, image("image"), PRODUCT_CARD)),
        Field(
            "audience",
            "object",
            fields=(
                Field(
                    "kind",
                    "string",
                    "Who gets it",
                    options={"list": ["everyone", "tag", "segment"], "layout": "radio"},
                ),
                Field("tag", "string", "Mailchimp tag (when 'tag')"),
                Field(
                    "segmentId",
                    "number",
                    "Mailchimp segment id (when 'segment')",
                    min=1,
                    integer=True,
                ),
            ),
        ),
        Field("sendAt", "datetime", "Send at (on a quarter hour)"),
        Field("sendNow", "boolean", "Send as soon as it is approved"),
        Field(
            "ready",
            "boolean",
            "Approved for sending",
            description="The shop's campaigns job sends published, approved campaigns.",
        ),
        Field(
            "delivery",
            "object",
            "Delivery (written by the shop)",
            read_only=True,
            fields=(
                Field("state", "string", read_only=True),
                Field("reason", "text", read_only=True),
                Field("mailchimpId", "string", "Mailchimp campaign id", read_only=True),
                Field("revision", "string", "Revision sent", read_only=True),
                Field("fingerprint", "string", "Fingerprint of what was sent", read_only=True),
                Field("scheduledFor", "datetime", read_only=True),
                Field("sentAt", "datetime", read_only=True),
                Field("checkedAt", "datetime", read_only=True),
                Field(
                    "report",
                    "object",
                    read_only=True,
                    fields=tuple(
                        Field(name, "number", read_only=True)
                        for name in ("recipients", "opens", "clicks", "unsubscribes")
                    ),
                ),
            ),
        ),
    ),
)

DOCUMENT_TYPES: tuple[DocumentType, ...] = (
    DESIGN,
    PRODUCT,
    MARKET,
    CATEGORY,
    PAGE,
    SITE_SETTINGS,
    INVENTORY,
    NEWSLETTER_CAMPAIGN,
    SIZE_GUIDE,
)
BY_NAME = {t.name: t for t in DOCUMENT_TYPES}
