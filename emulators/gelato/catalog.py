"""The emulator's fixed world: products, hubs, shipment methods, deterministic prices.

Numbers are invented but stable, so tests and benchmarks can assert exact values.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

SIZES = ("xs", "s", "m", "l", "xl", "2xl", "3xl")
COLOURS = ("white", "black", "navy", "natural", "heather-grey", "forest-green", "sand")
PRINTS = ("4-0", "4-4")

POSTER_UIDS = (
    "flat_product_pf_a3_pt_200-gsm-poster-paper_cl_4-0_ver",
    "framed_poster_mounted_pf_300x400-mm_pt_200-gsm-poster_cl_4-0_ver",
)


def default_products() -> set[str]:
    """Crew-neck tees in every size/colour/print, plus two wall-art uids (another hub)."""
    tees = {
        f"apparel_product_gca_t-shirt_gsc_crewneck_gcu_unisex_gqa_classic_gsi_{size}"
        f"_gco_{colour}_gpr_{prints}"
        for size in SIZES
        for colour in COLOURS
        for prints in PRINTS
    }
    return tees | set(POSTER_UIDS)


def hub_of(product_uid: str) -> str:
    """Apparel and wall art are made in different hubs: mixing them splits the order."""
    return "apparel" if product_uid.startswith("apparel_") else "wallart"


COUNTRIES = (
    "US CA GB IE DE FR NL BE LU AT CH IT ES PT DK SE NO FI IS PL CZ SK HU SI HR RO BG GR "
    "EE LV LT MT CY AU NZ JP KR SG HK BR MX AR CL ZA AE IL IN"
).split()

REGION_OF = {"US": "US-CA", "CA": "US-CA", "GB": "UK", "AU": "OC", "NZ": "OC"}
_EU = set("IE DE FR NL BE LU AT CH IT ES PT DK SE NO FI IS PL CZ SK HU SI HR RO BG GR".split())
_EU |= set("EE LV LT MT CY".split())
STOCK_REGIONS = ("US-CA", "EU", "UK", "OC", "AS", "SA", "ROW")


def region_of(country: str) -> str:
    if country in REGION_OF:
        return REGION_OF[country]
    return "EU" if country in _EU else "ROW"


def fulfillment_country(hub: str, country: str) -> str:
    region = region_of(country)
    if hub == "wallart":
        return {"US-CA": "US", "UK": "GB", "OC": "AU"}.get(region, "NL")
    return {"US-CA": "US", "UK": "GB", "OC": "AU"}.get(region, "DE")


#: Carrier-level methods, as ``GET /v1/shipment-methods`` lists them; ``type`` is the service
#: type (``normal``, ``express``) that create-order also accepts in place of a uid.
SHIPMENT_METHODS: tuple[dict[str, Any], ...] = (
    {
        "shipmentMethodUid": "dhl_global_parcel",
        "type": "normal",
        "name": "DHL Global Parcel",
        "isBusiness": True,
        "isPrivate": True,
        "hasTracking": True,
        "supportedCountries": COUNTRIES,
    },
    {
        "shipmentMethodUid": "ups_ground_us",
        "type": "normal",
        "name": "UPS Ground",
        "isBusiness": True,
        "isPrivate": True,
        "hasTracking": True,
        "supportedCountries": ("US", "CA"),
    },
    {
        "shipmentMethodUid": "royal_mail_tracked_48",
        "type": "normal",
        "name": "Royal Mail Tracked 48",
        "isBusiness": True,
        "isPrivate": True,
        "hasTracking": True,
        "supportedCountries": ("GB",),
    },
    {
        "shipmentMethodUid": "dhl_express_worldwide",
        "type": "express",
        "name": "DHL Express Worldwide",
        "isBusiness": True,
        "isPrivate": True,
        "hasTracking": True,
        "supportedCountries": COUNTRIES,
    },
)

#: Standard shipping for one unit, in minor units, by destination stock region.
_BASE_SHIPPING = {"US-CA": 499, "EU": 395, "UK": 349, "OC": 750, "AS": 890, "SA": 990, "ROW": 990}
_EXTRA_UNIT = 100
#: The cheapest standard carrier everywhere; the national ones cost a little more.
_CHEAPEST = "dhl_global_parcel"
_PRODUCT_PRICE = {"apparel": 1250, "wallart": 1800}
#: Shipping weight per unit in grams, by hub, and the parcel it goes in.
_UNIT_WEIGHT = {"apparel": 180, "wallart": 650}
_PARCEL_WEIGHT = 40
_UNITS_PER_PARCEL = 20


def methods_for(country: str) -> list[dict[str, Any]]:
    return [m for m in SHIPMENT_METHODS if country in m["supportedCountries"]]


def _amount(minor: int, currency: str) -> float:
    """Gelato's decimal price for our minor-unit figure (zero-decimal currencies too)."""
    if currency in {"JPY", "KRW"}:
        return float(minor)
    return float((Decimal(minor) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def shipping_price(method: dict[str, Any], country: str, units: int, currency: str) -> float:
    minor = _BASE_SHIPPING[region_of(country)] + _EXTRA_UNIT * max(0, units - 1)
    if method["type"] == "express":
        minor = minor * 5 // 2
    elif method["shipmentMethodUid"] != _CHEAPEST:
        minor += 50
    return _amount(minor, currency)


def product_price(product_uid: str, currency: str) -> float:
    return _amount(_PRODUCT_PRICE[hub_of(product_uid)], currency)


def delivery_days(method: dict[str, Any]) -> tuple[int, int]:
    return (1, 3) if method["type"] == "express" else (3, 7)


def parcels(units: int) -> int:
    return max(1, -(-units // _UNITS_PER_PARCEL))


def total_weight(hub: str, units: int) -> int:
    """Grams: the goods plus a parcel's packaging each."""
    return _UNIT_WEIGHT[hub] * units + _PARCEL_WEIGHT * parcels(units)
