"""The storage layer: atomic files and the output lock (`storage`), dataclass <-> JSON (`schema`), and the
results cache keyed by code version and upstream results (`cache`)."""
