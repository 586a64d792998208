-- fct_stockouts step 7, episode ends: each seen episode walked forward interval by interval to
-- the first refill, counting PA503's customers on the way.
episode_walk AS (
    -- the intervals after a seen episode's own, up to the first one that refilled the slot:
    -- each gives the stretch it was sold out without a PA503 count (a refilling interval was
    -- sold out only until its refill; its PA503 belongs to what came after)
    SELECT placed.episode_id, placed.machine_serial, placed.selection_key,
        placed.read_id_end AS cursor, false AS done, NULL::TIMESTAMP AS refill_at,
        NULL::TIMESTAMP AS period_end, 0::BIGINT AS counted, NULL::TIMESTAMP AS gap_from,
        NULL::TIMESTAMP AS gap_to
    FROM placed_episodes AS placed
    WHERE placed.kind = 'seen'
    UNION ALL
    SELECT
        walk.episode_id, walk.machine_serial, walk.selection_key, next_interval.read_id_end,
        next_interval.refilled, next_interval.first_refill_at, next_interval.period_end,
        CASE WHEN NOT next_interval.refilled THEN coalesce(next_interval.sold_out_count, 0)
            ELSE 0 END,
        next_interval.period_start,
        CASE WHEN next_interval.refilled THEN next_interval.first_refill_at
            WHEN next_interval.sold_out_count IS NULL THEN next_interval.period_end
            ELSE next_interval.period_start END
    FROM episode_walk AS walk
    JOIN rated_intervals AS next_interval
        ON next_interval.machine_serial = walk.machine_serial
        AND next_interval.selection_key = walk.selection_key
        AND next_interval.read_id_start = walk.cursor
    WHERE NOT walk.done
),
walk_totals AS (
    SELECT
        episode_id,
        max(refill_at) FILTER (WHERE done) AS end_at,
        max(period_end) AS last_read_at,
        sum(counted) AS counted
    FROM episode_walk
    GROUP BY ALL
)
