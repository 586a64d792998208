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
interval_flags AS (
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
),
refill_flags AS MATERIALIZED (
    -- only the columns the later steps read (every interval of the fleet is held here), and
    -- where each interval lies in its slot's chain of links (one window pass):
    --   previous_sold_out_at: PA5 of the interval that ended at this one's start read;
    --   refills_before: the refills in the slot's intervals before this one;
    --   segment: the same for every interval of a run of links. Over a run each interval
    --   adds (chain_n - start_chain_n) to `spanned`, which then grows exactly as chain_n, so
    --   chain_n - spanned stays put; where the slot was missing from a read the next interval
    --   starts after the last one ended and it steps up.
    -- An episode's walk (07_episode_ends) is then the intervals after its own in its segment
    -- with no refill between: up to and including the first refill.
    SELECT
        * EXCLUDE (start_chain_n, previous_end, previous_sold_out_at, spanned),
        -- (a selection without a key has no chain: nothing joins to it)
        CASE WHEN start_chain_n = previous_end AND selection_key IS NOT NULL
            THEN previous_sold_out_at END AS previous_sold_out_at,
        chain_n - spanned AS segment
    FROM (
        SELECT
            machine_serial, selection_key, selection, product_id, product_start, read_id_end,
            chain_n, start_chain_n, period_start, period_end, units_sold, sold_out_at,
            sold_out_count, level_start, level_end, standard_fill, missing_at, added_at_start,
            refilled_at_start, refilled_unseen, refilled, first_refill_at, hidden,
            lag(chain_n) OVER slot_chain AS previous_end,
            lag(sold_out_at) OVER slot_chain AS previous_sold_out_at,
            CAST(coalesce(sum(CASE WHEN refilled THEN 1 ELSE 0 END) OVER (slot_chain
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS BIGINT)
                AS refills_before,
            CAST(sum(chain_n - start_chain_n) OVER (slot_chain ROWS UNBOUNDED PRECEDING)
                AS BIGINT) AS spanned
        FROM interval_flags
        WINDOW slot_chain AS (PARTITION BY machine_serial, selection_key ORDER BY chain_n)
    )
)
