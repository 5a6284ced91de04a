"""Accrete's own generator: an autoregressive torch model over tokenised columns."""
