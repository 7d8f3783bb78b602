"""Product matching for firms and whitelists for banks: which firm qualifies for which product, at what
limit and rate, and why not."""
