"""Benchmarks, and the scoring of answers they share with the tests (evaluation.py)."""
