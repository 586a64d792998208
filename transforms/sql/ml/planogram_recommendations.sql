-- planogram_recommendations: per slot, the optimiser's (or the AI's refined) proposal with its expected weekly effect and reason; the latest run per cabinet.
CREATE OR REPLACE VIEW planogram_recommendations AS
SELECT *
FROM read_parquet({files:ml/planogram_recommendations}, union_by_name = true);
