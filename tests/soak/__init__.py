"""The chaos soak: real processes, injected faults, invariants checked at the end."""
