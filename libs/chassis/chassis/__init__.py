"""Cross-cutting plumbing shared by the marketplace services. No business rules live here."""
