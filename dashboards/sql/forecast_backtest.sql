-- params: model_version=''
-- Backtest scores per model version, method and horizon, averaged over the cutoffs (all
-- versions when $model_version is empty).
SELECT model_version, method, horizon_days, count(DISTINCT cutoff) AS cutoffs,
       min(cutoff) AS first_cutoff, max(cutoff) AS last_cutoff, max(series) AS series,
       avg(mase) AS mase, avg(wape) AS wape, avg(bias) AS bias, avg(wape_vs_true) AS wape_vs_true
FROM forecast_backtest
WHERE $model_version = '' OR model_version = $model_version
GROUP BY ALL
ORDER BY model_version, horizon_days, mase
