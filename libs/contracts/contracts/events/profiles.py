"""Events published by the profiles service (none yet: it only projects what others publish)."""

from contracts.contract import EventContract

CONTRACTS: list[EventContract] = []
