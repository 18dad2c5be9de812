"""Every table of the shop, imported once so the metadata (and Alembic) sees them all."""

from storefront.accounts.models import Address, Customer
from storefront.accounts.throttle import AuthFailure
from storefront.accounts.token_models import ApiToken
from storefront.accounts.twofactor_models import RecoveryCode, StaffTotp
from storefront.cart.models import Cart, CartItem
from storefront.content.models import ContentInvalidation
from storefront.db import Base
from storefront.discounts.models import DiscountCode, DiscountRedemption
from storefront.fulfillment.models import GelatoOrderRecord, Parcel
from storefront.inbox.models import WebhookEvent
from storefront.invoices.models import CreditNote, DocumentCounter, Invoice
from storefront.jobs.models import JobRun, Lease
from storefront.newsletter.campaigns.models import CampaignSend
from storefront.newsletter.models import Subscriber
from storefront.orders.models import Order, OrderEvent, OrderItem
from storefront.outbox.models import OutboxEntry
from storefront.payments.models import Payment, Refund
from storefront.restock.models import RestockRequest
from storefront.reviews.models import Review
from storefront.stock.models import Reservation, StockCounter

metadata = Base.metadata

__all__ = [
    "Address",
    "ApiToken",
    "AuthFailure",
    "CampaignSend",
    "Cart",
    "CartItem",
    "ContentInvalidation",
    "CreditNote",
    "Customer",
    "DiscountCode",
    "DiscountRedemption",
    "DocumentCounter",
    "GelatoOrderRecord",
    "Invoice",
    "JobRun",
    "Lease",
    "Order",
    "OrderEvent",
    "OrderItem",
    "OutboxEntry",
    "Parcel",
    "Payment",
    "RecoveryCode",
    "Refund",
    "Reservation",
    "RestockRequest",
    "Review",
    "StaffTotp",
    "StockCounter",
    "Subscriber",
    "WebhookEvent",
    "metadata",
]
