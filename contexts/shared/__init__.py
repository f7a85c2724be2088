"""What every context shares: refusals, the caller, caches, settings,
the bus contract and its publisher.
"""
