-- params:
-- The model's service scores (issue 7), newest run; raises a catalog error where the view
-- does not exist yet (the overview then falls back to slot_status).
SELECT machine_serial, asset_number, route_id, score, needs_visit, need_date, sold_out_slots,
       reasons
FROM service_scores
WHERE as_of = (SELECT max(as_of) FROM service_scores)
ORDER BY score DESC
