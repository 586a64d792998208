"""Demand forecasts per machine, slot and product (issue 7): censoring-aware features from the
sales marts, simple and intermittent-demand methods, a gradient-boosting model, rolling-origin
backtests, and the pipeline the Dagster assets and `cvd models` run. See docs/forecast.md."""
