"""Tax-credit pre-evaluation (纳税缴费信用): the running score and projected grade from a firm's own tax
records under the rule set in force, the warnings of deductions that happened or are about to, what
repairing them would change, targeted pushes of newly eligible products, and credit-repair records."""
