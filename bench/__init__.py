"""Micro-benchmarks; each module exposes run() -> dict."""
