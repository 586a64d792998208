"""Planogram optimisation: which product in which slot, at which par level."""
