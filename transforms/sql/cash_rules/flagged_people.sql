-- flagged_people: per driver (or route: the {who} column), the reconciled collections (matched,
-- short, over), how many were flagged short, their variance, and `flagged` when at least
-- $min_flags of them are flagged short and they make at least $flag_share of the reconciled
-- ones: a pattern of shortfalls, beyond the honest miscounts everyone makes now and then.
WITH f AS ({flagged_collections})
SELECT
    {who} AS who,
    count(*) FILTER (WHERE status IN ('matched', 'short', 'over')) AS reconciled,
    count(*) FILTER (WHERE flagged AND status = 'short') AS flagged_short,
    count(*) FILTER (WHERE flagged AND status = 'over') AS flagged_over,
    sum(variance) AS variance,
    round(CAST(sum(variance) AS DOUBLE) / nullif(CAST(sum(expected_cash) FILTER (
        WHERE status IN ('matched', 'short', 'over')) AS DOUBLE), 0), 4) AS variance_share,
    count(*) FILTER (WHERE flagged AND status = 'short') >= $min_flags
        AND count(*) FILTER (WHERE flagged AND status = 'short')
            >= $flag_share * count(*) FILTER (WHERE status IN ('matched', 'short', 'over'))
        AS flagged
FROM f
WHERE {who} IS NOT NULL
GROUP BY ALL
ORDER BY flagged DESC, variance
