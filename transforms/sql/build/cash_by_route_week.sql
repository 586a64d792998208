-- cash_by_route_week: fct_cash_collections per route (the machine's route when collected)
-- and ISO week (Monday) of collected_at.
-- variance_share is the week's variance over its expected cash (counted, usable collections).
SELECT
    route_code,
    CAST(date_trunc('week', collected_at) AS DATE) AS week,
    count(*) AS collections,
    count(*) FILTER (WHERE status IN ('matched', 'short', 'over')) AS reconciled,
    count(*) FILTER (WHERE status = 'short') AS short,
    count(*) FILTER (WHERE status = 'over') AS over,
    count(*) FILTER (WHERE status = 'uncounted') AS uncounted,
    count(*) FILTER (WHERE status = 'unusable') AS unusable,
    sum(expected_cash) FILTER (WHERE status IN ('matched', 'short', 'over')) AS expected_cash,
    sum(counted_cash) FILTER (WHERE status IN ('matched', 'short', 'over')) AS counted_cash,
    sum(variance) AS variance,
    round(CAST(sum(variance) AS DOUBLE) / nullif(CAST(
        sum(expected_cash) FILTER (WHERE status IN ('matched', 'short', 'over')) AS DOUBLE), 0
    ), 4) AS variance_share
FROM fct_cash_collections
GROUP BY ALL
