-- Each machine's latest cash collection whose variance (counted − expected, currency units)
-- is past $threshold either way. Reads fct_cash_collections (issue 18), which must have the
-- columns machine_serial, collected_at and variance; the rule is skipped while it is absent.
SELECT
    c.machine_serial,
    d.route_id,
    c.collected_at,
    c.variance
FROM fct_cash_collections AS c
LEFT JOIN devices AS d ON d.dex_serial = c.machine_serial
WHERE abs(c.variance) > $threshold
QUALIFY row_number() OVER (PARTITION BY c.machine_serial ORDER BY c.collected_at DESC) = 1
ORDER BY c.machine_serial
