"""Synthetic data for the demo, the tests and the benchmarks: member-state reports and URS
extracts with made-up figures and people. Never used by a production path.
"""
