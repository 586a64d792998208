-- params:
-- Every trained model version, newest first, with its scores against the baselines.
SELECT model_version, kind, status, is_current, created_at, promoted_at, training_start,
       training_end, mase, wape, bias, baseline_naive_mase, baseline_seasonal_mase,
       mase / nullif(least(baseline_naive_mase, baseline_seasonal_mase), 0) AS mase_vs_best_baseline,
       data_fingerprint, library_versions, reason
FROM model_versions
ORDER BY is_current DESC, created_at DESC
