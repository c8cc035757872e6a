"""Pure statistics of customer expectations: arrays and DataFrames in, result objects out.

This package never imports storage, web or CLI code.
"""

from cxgap.stats.result import StatResult

__all__ = ["StatResult"]
