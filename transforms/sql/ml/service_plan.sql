-- service_plan: the machines each route should visit on a date, in stop order, with score and reasons.
CREATE OR REPLACE VIEW service_plan AS
SELECT *
FROM read_parquet({files:ml/service_plan}, union_by_name = true);
