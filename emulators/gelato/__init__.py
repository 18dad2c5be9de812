"""Wire-level emulator of Gelato (orders v4, stock v3, shipment methods v1).

What Gelato's public documentation says, and the emulator does (each point is tested in
``tests/fulfillment/test_gelato_docs.py``):

- ``POST /v4/orders:search`` (https://dashboard.gelato.com/docs/orders/v4/search) filters by
  ``ids``, ``orderReferenceIds``, ``orderTypes``, ``fulfillmentStatuses``,
  ``financialStatuses``, ``channels``, ``countries`` (of the shipping address),
  ``currencies``, ``startDate`` / ``endDate`` (ordered at or created at on or after / on or
  before, ISO 8601) and ``search`` (text found in the shipping address's ``firstName`` or
  ``lastName`` or in ``orderReferenceId``; the v3 page spells this out:
  https://dashboard.gelato.com/docs/orders/v3/search), pages with ``limit`` and ``offset``,
  and answers rows that carry ``itemsCount`` and ``totalInclVat`` (a decimal string; a draft's
  is ``"0.00"``) besides the order's ids, statuses, dates and recipient name.
- ``POST /v3/stock/region-availability``
  (https://dashboard.gelato.com/docs/products/stock/region-availability/) lists every stock
  region for every product, each with ``replenishmentDate`` (``null`` when there is none).
- ``POST /v4/orders:quote`` answers, per shipment method, ``minDeliveryDate`` and
  ``maxDeliveryDate`` (``YYYY-MM-DD``), ``isPrivate``, ``isBusiness``, ``totalWeight``
  (grams) and ``numberOfParcels`` besides name, uid, price, currency, delivery days, service
  ``type`` and ``incoTerms`` (https://dashboard.gelato.com/docs/orders/v3/quote, the
  response v4 keeps).
- Shipment method uids are carriers' (``dhl_global_parcel``, ``ups_surepost``…; the list is
  ``GET /v1/shipment-methods``, https://dashboard.gelato.com/docs/shipment/methods).
  ``normal`` and ``express`` are service *types* (``type``): a quote never answers them as a
  uid, while ``POST /v4/orders`` accepts them (and ``standard``) in ``shipmentMethodUid`` and
  picks a method of that type (https://dashboard.gelato.com/docs/orders/v4/create).

The carriers, prices, weights and days are the emulator's own stable inventions, so tests
can assert exact values.
"""

from emulators.gelato.app import GelatoEmulator

__all__ = ["GelatoEmulator"]
