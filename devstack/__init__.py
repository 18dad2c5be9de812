"""Runs the shop, its sync process, the emulators of every outside service and the local
content lake together on one machine: `storefront dev`, `storefront emulators serve` and
the `storefront content` tools. The shop never imports this package; it imports the shop,
the emulators and the lake, and wires them together."""
