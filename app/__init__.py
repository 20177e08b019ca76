"""Minedash: production metrics of bitcoin-mining companies."""
