"""Invoices and credit notes: gapless numbers per year, an immutable PDF each."""
