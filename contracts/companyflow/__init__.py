"""CompanyFlow contract suite: recorded leave-balance exchanges and the harness binding."""
