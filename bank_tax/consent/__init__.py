"""Consents: grants, revocation, signed receipts, the consent mask, and "who saw my data"."""
