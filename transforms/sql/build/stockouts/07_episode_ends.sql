-- fct_stockouts step 7, episode ends: each seen episode walked forward interval by interval to
-- the first refill, counting PA503's customers on the way.
episode_walk AS (
    -- the intervals after a seen episode's own, up to the first one that refilled the slot:
    -- each gives the stretch it was sold out without a PA503 count (a refilling interval was
    -- sold out only until its refill; its PA503 belongs to what came after). The walk follows
    -- the slot's chain of links (refill_flags, 02_refills): the later intervals of the episode's
    -- segment with as many refills before them as up to and including the episode's own
    SELECT
        placed.episode_id, placed.machine_serial, later.refilled AS done,
        later.first_refill_at AS refill_at, later.period_end,
        CASE WHEN NOT later.refilled THEN coalesce(later.sold_out_count, 0) ELSE 0 END
            AS counted,
        later.period_start AS gap_from,
        CASE WHEN later.refilled THEN later.first_refill_at
            WHEN later.sold_out_count IS NULL THEN later.period_end
            ELSE later.period_start END AS gap_to
    FROM placed_episodes AS placed
    JOIN refill_flags AS later
        ON later.machine_serial = placed.machine_serial
        AND later.selection_key = placed.selection_key
        AND later.segment = placed.segment
        AND later.refills_before = placed.refills_through
        AND later.chain_n > placed.chain_n
    WHERE placed.kind = 'seen'
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
