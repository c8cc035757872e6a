"""The demo organisation: deterministic, realistic data with planted truths."""

from cxgap.demo.generate import DemoData, generate, planted_truths

__all__ = ["DemoData", "generate", "planted_truths"]
