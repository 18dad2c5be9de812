"""Wire-level emulator of Gelato (orders v4, stock v3, shipment methods v1)."""

from emulators.gelato.app import GelatoEmulator

__all__ = ["GelatoEmulator"]
