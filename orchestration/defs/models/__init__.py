"""Dagster assets of the models: forecasts, recommendations, visit plans (issue 7)."""
