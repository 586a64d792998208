-- Each machine's latest cash collection, reported when its variance (counted − expected,
-- currency units) is past $threshold either way. Reads fct_cash_collections (issue 18), which
-- must have the columns machine_serial, collected_at and variance; the rule is skipped while it
-- is absent.
WITH latest AS (
    SELECT machine_serial, collected_at, variance
    FROM fct_cash_collections
    QUALIFY row_number() OVER (PARTITION BY machine_serial ORDER BY collected_at DESC) = 1
)
SELECT
    l.machine_serial,
    d.route_id,
    l.collected_at,
    l.variance
FROM latest AS l
LEFT JOIN devices AS d ON d.dex_serial = l.machine_serial
WHERE abs(l.variance) > $threshold
ORDER BY l.machine_serial
