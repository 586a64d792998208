-- service_plan_picks: pre-kit quantities per planned machine and slot: par minus the predicted level at the visit.
CREATE OR REPLACE VIEW service_plan_picks AS
SELECT *
FROM read_parquet({files:ml/service_plan_picks}, union_by_name = true);
