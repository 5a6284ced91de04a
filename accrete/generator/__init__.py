"""Generator backends: one interface (fit / sample / save / load), several implementations."""
