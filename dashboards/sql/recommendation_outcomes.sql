-- params: min_weeks=4
-- Accepted recommendations whose change has at least $min_weeks weeks of sales after it:
-- realised against promised (recommendation_outcomes), with product names.
SELECT o.asset_number, o.cabinet, o.slot, o.recommended_product_id,
       p.name AS recommended_product, o.trial, o.visit_date, o.changed_at, o.weeks_observed,
       o.promised_weekly_units, o.realised_weekly_units,
       o.promised_weekly_revenue, o.realised_weekly_revenue,
       o.promised_weekly_gain, o.weekly_gain_low, o.weekly_gain_high,
       o.realised_change_revenue, o.within_interval
FROM recommendation_outcomes o
LEFT JOIN products p ON p.product_id = o.recommended_product_id
WHERE o.weeks_observed >= $min_weeks
ORDER BY o.changed_at DESC, o.asset_number, o.cabinet, o.slot
