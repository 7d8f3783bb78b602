"""Applications, decisions, loans, outcome events and the default labels models learn from."""
