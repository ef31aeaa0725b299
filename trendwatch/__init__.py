"""trendwatch: trend monitoring and competitor listening, Persian and English first-class.

This package is the kernel every stage shares (models, config, errors, registry, metrics,
time) and, under `trendwatch.service`, the composition root that wires the stages together.
"""

__version__ = "0.1.0"
