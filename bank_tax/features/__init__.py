"""The point-in-time feature pipeline: consented records → dense firm × month panels → features (numpy)."""
