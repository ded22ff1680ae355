"""Events published by the chat service."""

from contracts.contract import EventContract

CONTRACTS: list[EventContract] = []
