"""What every page must pass in the browser, at every width: nothing a person taps is covered
by something else, and axe-core finds no serious or critical violation.

axe-core comes from npm (``python -m tests.prepare`` installs it into the test cache); it is
evaluated from the test through the DevTools protocol, not added to the page as a script,
so the shop's strict CSP stays as it is.
"""

from __future__ import annotations

import re
from functools import cache

from storefront.money import SYMBOLS
from tests.support.material import require_npm_package

#: For every visible button, link and form field: scroll it into view, take the centre of its
#: first box (an inline link that wraps has several) and ask the page what is there. Anything
#: but the element itself or one of its descendants is an overlap — the element a finger
#: aims at is not the one that gets the tap.
_COVERED = """() => {
  const wanted = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  const name = el => {
    if (!el) return 'nothing';
    const text = (el.getAttribute('aria-label') || el.innerText || el.value || el.name || el.id
      || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return `<${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}> "${text}"`;
  };
  const found = [];
  let checked = 0;
  for (const el of document.querySelectorAll(wanted)) {
    const style = getComputedStyle(el);
    if (style.visibility !== 'visible' || style.display === 'none') continue;
    const box = el.getClientRects()[0];
    // Not laid out, or hidden for the eye on purpose (visually-hidden text, the skip link
    // waiting off-screen until it gets the focus).
    if (!box || box.width <= 2 || box.height <= 2) continue;
    if (box.right + window.scrollX < 0 || box.bottom + window.scrollY < 0) continue;
    el.scrollIntoView({block: 'center', inline: 'center'});
    const now = el.getClientRects()[0];
    const x = now.left + now.width / 2, y = now.top + now.height / 2;
    const hit = document.elementFromPoint(x, y);
    checked += 1;
    if (hit !== el && !el.contains(hit)) {
      found.push(`${name(el)} at (${Math.round(x)}, ${Math.round(y)}) is under ${name(hit)}`);
    }
  }
  window.scrollTo(0, 0);
  return {checked, found};
}"""

_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ${v.help} — ` +
      v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}"""


@cache
def _axe_source() -> str:
    return (require_npm_package("axe-core") / "axe.min.js").read_text(encoding="utf-8")


def covered_controls(page) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    """How many controls were checked, and the ones whose centre hits something else."""
    result = page.evaluate(_COVERED)
    return int(result["checked"]), list(result["found"])


def serious_axe_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    return list(page.evaluate(_AXE))


def page_overflow(page) -> int:  # type: ignore[no-untyped-def]
    """How many pixels the page is wider than the screen (a phone would scroll sideways)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


#: A whole cell that is one amount as ``format_money`` writes it: a symbol before the figure
#: (``€29.00``, ``-A$5.00``, ``¥500``) or a currency code after it (``24.00 SEK``). Built from
#: the shop's own symbols, so a currency added there is checked here too. JavaScript reads it.
AMOUNT_PATTERN = (
    "^-?(?:(?:"
    + "|".join(re.escape(s) for s in sorted(SYMBOLS.values(), key=len, reverse=True))
    + r")\s?[\d.,]+|[\d.,]+ [A-Z]{3})$"
)

_BROKEN_AMOUNTS = """(pattern) => {
  const amount = new RegExp(pattern);
  const found = [];
  for (const cell of document.querySelectorAll('.table td')) {
    const text = cell.textContent.trim();
    if (!amount.test(text)) continue;
    const range = document.createRange();
    range.selectNodeContents(cell);
    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    if (lines.size > 1) found.push(text);
  }
  return found;
}"""


def broken_amounts(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Amounts in a table that wrap onto a second line ("€29.0" above "0")."""
    return list(page.evaluate(_BROKEN_AMOUNTS, AMOUNT_PATTERN))
