"""Synthetic data with ground truth: people (``people``) and the source systems built on them."""
