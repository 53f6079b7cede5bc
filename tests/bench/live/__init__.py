"""The live-path benchmark (issue 12): two daphne processes of the platform against a bare
websockets + Redis pub/sub relay on two processes, driven over the documented protocol.

Entry point: ``tests/bench/live_bench.py`` (``make bench-live``).
"""
