"""Back in stock: a sold-out size's waiting list, e-mailed once when the size returns."""
