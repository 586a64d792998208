-- demand_forecast: expected daily demand per current slot for the next 14 days (uncensored: sold-out days do not read as no demand), with an 80% interval; written by the forecast asset.
CREATE OR REPLACE VIEW demand_forecast AS
SELECT *
FROM read_parquet({files:ml/demand_forecast}, union_by_name = true);
