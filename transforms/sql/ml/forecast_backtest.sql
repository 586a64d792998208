-- forecast_backtest: rolling-origin backtest scores (MASE, WAPE, bias; WAPE against the simulator's true demand where known) per model version, method and cutoff.
CREATE OR REPLACE VIEW forecast_backtest AS
SELECT *
FROM read_parquet({files:ml/forecast_backtest}, union_by_name = true);
