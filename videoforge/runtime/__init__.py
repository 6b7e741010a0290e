"""Running videoforge: wiring (the one place that picks implementations), `serve`, the
embedded Valkey, child-process helpers and logging."""
