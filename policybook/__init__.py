"""policybook: run public policies like code."""

__version__ = "0.1.0"
