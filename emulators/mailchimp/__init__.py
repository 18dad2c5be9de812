"""Wire-level emulator of Mailchimp's Marketing API v3 (list members, batch, webhooks)."""

from emulators.mailchimp.app import MailchimpEmulator

__all__ = ["MailchimpEmulator"]
