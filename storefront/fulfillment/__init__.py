"""Fulfillment through Gelato: the client, its typed models and errors, and the address rules."""
