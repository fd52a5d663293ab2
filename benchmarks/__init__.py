"""Benchmarks: ``python -m benchmarks [name ...] [-o results.json]`` runs every ``bench_*.py``."""
