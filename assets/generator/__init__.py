"""Generator training on the accumulated real training split."""
