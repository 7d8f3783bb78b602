"""Bank products: 银税 credit products with their eligibility and limit rules, versioned, pausable."""
