-- fct_stockouts step 2, refills: where in each interval stock was added (at the start read, at
-- reads never received) and what that says: refilled, first refill time, and a hidden sell-out.
stock_added AS (
    -- stock added at the start read (a visit, or nothing missing: the only read a refill can
    -- follow) and at the unreceived read(s); interval-only counters do not cover unreceived
    -- reads, so there only a level that rose tells of a refill, and not how much
    SELECT
        *,
        CASE WHEN missing_at IS NULL THEN greatest(added, 0)
            WHEN visit_at_start THEN greatest(standard_fill - level_start, 0)
            ELSE 0 END AS added_at_start,
        CASE WHEN missing_at IS NULL THEN 0
            WHEN counter_basis = 'interval' THEN NULL
            WHEN visit_at_start THEN added - greatest(standard_fill - level_start, 0)
            ELSE added END AS added_unseen
    FROM slot_intervals
),
refill_flags AS MATERIALIZED (
    SELECT
        *,
        coalesce(added_at_start > 0, false) AS refilled_at_start,
        coalesce(added_unseen > 0, counter_basis = 'interval' AND level_end > level_start, false)
            AS refilled_unseen,
        coalesce(added_at_start > 0 OR added_unseen > 0, false)
            OR coalesce(added_unseen IS NULL AND level_end > level_start, false) AS refilled,
        -- the first refill in the interval ends an episode open at its start
        CASE WHEN added_at_start > 0 THEN period_start ELSE missing_at END AS first_refill_at,
        -- sold out and refilled from empty at an unreceived visit (a refill adds standard fill
        -- minus the level it finds): its PA5 went with that read
        coalesce(added_unseen = standard_fill AND level_start + added_at_start > 0, false)
            AS hidden
    FROM stock_added
)
