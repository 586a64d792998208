-- flagged_collections: fct_cash_collections with `flagged` set where the variance is past both
-- configured thresholds, either way: at least $variance_abs currency units and at least
-- $variance_share of the expected cash (a few cents on a small box or a dollar on a big one
-- are counting noise, not a loss).
SELECT
    *,
    status IN ('short', 'over')
        AND abs(variance) >= $variance_abs
        AND abs(coalesce(variance_share, 1.0)) >= $variance_share AS flagged
FROM fct_cash_collections
