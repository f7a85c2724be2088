"""Benchmarks and load tester; `python -m bench` runs them (see `make bench`)."""
