"""partstream's benchmarks: ``python -m benchmarks [names...] [--size smoke|full]``.

Each ``bench_*`` module exposes ``run(size) -> dict`` and measures partstream and
its peer in the same run; see ``benchmarks/__main__.py`` and ``BENCHMARKS.md``.
"""
