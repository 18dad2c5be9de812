"""The emulator's hosted payment page: what a shopper sees at a Checkout Session's ``url``."""

from __future__ import annotations

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Pay {{ shop }} — Stripe emulator</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <style>
    body { font-family: system-ui, sans-serif; background: #f6f9fc; color: #1a1f36; }
    main { max-width: 28rem; margin: 3rem auto; background: #fff; padding: 2rem;
           border-radius: .5rem; box-shadow: 0 2px 8px rgba(0,0,0,.08); }
    .notice { font-size: .8rem; color: #697386; }
    .error { color: #c0123c; font-weight: 600; }
    button { display: block; width: 100%; margin: .5rem 0; padding: .75rem; font-size: 1rem;
             border: 0; border-radius: .35rem; cursor: pointer; }
    .pay { background: #635bff; color: #fff; }
    .decline { background: #fde8ec; color: #c0123c; }
    .later { background: #e3e8ee; color: #1a1f36; }
    table { width: 100%; border-collapse: collapse; margin: 1rem 0; }
    td { padding: .25rem 0; } td.amount { text-align: right; }
  </style>
</head>
<body>
<main>
  <p class="notice">Local Stripe emulator — no real money moves.</p>
  <h1>Pay {{ total }}</h1>
  <table>
    {% for line in lines %}
    <tr><td>{{ line.quantity }} × {{ line.name }}</td><td class="amount">{{ line.amount }}</td></tr>
    {% endfor %}
    {% if discount %}<tr><td>Discount ({{ discount_name }})</td>
      <td class="amount">{{ discount }}</td></tr>{% endif %}
    {% if shipping %}<tr><td>Shipping</td><td class="amount">{{ shipping }}</td></tr>{% endif %}
    {% if tax %}<tr><td>Tax (included)</td><td class="amount">{{ tax }}</td></tr>{% endif %}
  </table>
  {% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
  {% if status == "open" %}
  <form method="post" action="{{ action }}" id="payment-form">
    <p><label>Name on card
      <input name="name" value="Emulated Shopper" autocomplete="cc-name"></label></p>
    {% if not email %}<p><label>E-mail
      <input name="email" type="email" value="shopper@example.com" autocomplete="email">
    </label></p>{% endif %}
    <p><label>Country <input name="country" value="DE" maxlength="2" autocomplete="country">
      </label> <label>Postal code
      <input name="postal_code" value="10115" autocomplete="postal-code"></label></p>
    <button class="pay" type="submit" name="action" value="pay">Pay with card (succeeds)</button>
    <button class="decline" type="submit" name="action" value="decline">Card declined</button>
    <button class="later" type="submit" name="action" value="pay_later">
      Pay later (bank debit, settles asynchronously)</button>
  </form>
  {% if cancel_url %}<p><a href="{{ cancel_url }}">← Back to the shop</a></p>{% endif %}
  {% else %}
  <p class="error" role="alert">This checkout session is {{ status }}.</p>
  {% endif %}
</main>
</body>
</html>
"""


def format_amount(amount: int, currency: str) -> str:
    """Display only: zero-decimal currencies are shown without a fraction."""
    if currency.lower() in ZERO_DECIMAL:
        return f"{amount} {currency.upper()}"
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount) / 100:.2f} {currency.upper()}"


#: Stripe's zero-decimal currencies (amounts are already whole units).
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
