"""cxgap: customer expectation management.

Learn what customers expect, measure what they get, see where and for whom the two part,
and run the work that closes the gap.
"""

__version__ = "0.1.0"
