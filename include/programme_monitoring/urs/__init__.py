"""The URS statistics feed: per-person border and residence events, pseudonymised at intake.

May import ``warehouse``; nothing above it.
"""
