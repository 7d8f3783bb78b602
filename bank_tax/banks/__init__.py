"""Participating banks (the recipients of consents and the owners of products)."""
