"""The benchmark's modules (benchmarks/run.py is the entry point; benchmarks/README.md says
what each module is)."""
