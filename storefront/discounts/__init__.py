"""Discount codes: the rules, the atomic use counter, and the pro-rata split of a discount."""
