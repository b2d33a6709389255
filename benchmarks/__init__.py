"""Benchmarks of minBERT Lab; run each as a module from the repository root, e.g.
``python -m benchmarks.bench_training`` (no install needed: the root is then on the path)."""
