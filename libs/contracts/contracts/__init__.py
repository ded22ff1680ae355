"""The published language between the marketplace services."""
