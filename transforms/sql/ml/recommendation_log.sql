-- recommendation_log: every change any planogram run recommended (planogram_recommendations'
-- rows other than 'keep', one folder per run), kept when later runs replace the recommendations.
CREATE OR REPLACE VIEW recommendation_log AS
SELECT *
FROM read_parquet({files:ml/recommendation_log}, union_by_name = true);
