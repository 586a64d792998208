-- fct_cash_collections: one row per cash collection (the operational database's
-- cash_collections, synced to the lake at every run): the interval it covers, from the read at
-- the machine's previous collection to the read at this one, the cash that moved in it (summed
-- over the reads between, cash/01_read_flows), the cash the box should hold and what was
-- counted. A collection's read is the machine's read nearest its collected_at within 3 hours
-- (the handheld reads the machine while the box is emptied; device clocks drift by minutes).
-- Formula and element references: docs/metrics.md, "Cash accountability".
WITH {read_chain},
{cash/01_read_flows},
tube AS (
    SELECT read_id, value_reset AS tube_contents
    FROM dex_payment_totals
    WHERE kind = 'tube_contents'
),
candidates AS (
    SELECT
        c.collection_id,
        r.read_id,
        r.chain_n,
        r.read_at,
        row_number() OVER (
            PARTITION BY c.collection_id
            ORDER BY abs(epoch(r.read_at) - epoch(c.collected_at)), r.chain_n
        ) AS nearest
    FROM cash_collections AS c
    JOIN placed AS r
        ON r.machine_serial = c.machine_serial
        AND r.read_at BETWEEN c.collected_at - INTERVAL 3 HOUR AND c.collected_at + INTERVAL 3 HOUR
),
located AS (
    SELECT
        c.*,
        m.read_id AS end_read_id,
        m.chain_n AS end_chain_n,
        m.read_at AS period_end,
        lag(c.collection_id) OVER machine_order AS previous_collection_id,
        lag(m.read_id) OVER machine_order AS start_read_id,
        lag(m.chain_n) OVER machine_order AS start_chain_n,
        lag(m.read_at) OVER machine_order AS period_start
    FROM cash_collections AS c
    LEFT JOIN candidates AS m ON m.collection_id = c.collection_id AND m.nearest = 1
    WINDOW machine_order AS (
        PARTITION BY c.machine_serial ORDER BY c.collected_at, c.collection_id
    )
),
summed AS (
    SELECT
        l.collection_id,
        count(f.read_id) AS reads_in_interval,
        sum(f.cash_sales) AS cash_sales,
        sum(f.cash_in) AS cash_in,
        sum(f.to_tubes) AS to_tubes,
        sum(f.to_cashbox) AS to_cashbox,
        sum(f.bills_in) AS bills_in,
        sum(f.change_dispensed) AS change_dispensed,
        sum(f.manually_filled) AS manually_filled,
        sum(f.manually_dispensed) AS manually_dispensed,
        sum(f.cashless_sales) AS cashless_sales,
        bool_and(f.box_known) AS box_known,
        string_agg(DISTINCT f.basis, ',' ORDER BY f.basis) AS counter_basis
    FROM located AS l
    JOIN cash_read_flows AS f
        ON f.machine_serial = l.machine_serial
        AND f.chain_n > l.start_chain_n
        AND f.chain_n <= l.end_chain_n
    GROUP BY ALL
),
valued AS (
    SELECT
        l.*,
        s.* EXCLUDE (collection_id),
        tb.tube_contents AS tube_level_before,
        ta.tube_contents AS tube_level_after,
        CASE
            WHEN l.end_read_id IS NULL THEN 'no read within 3 hours of the collection'
            WHEN l.previous_collection_id IS NULL
                THEN 'no earlier collection: what the box held before is unknown'
            WHEN l.start_read_id IS NULL THEN 'no read within 3 hours of the previous collection'
            WHEN coalesce(s.reads_in_interval, 0) = 0 THEN 'both collections matched the same read'
            WHEN NOT s.box_known
                THEN 'a read in the interval has no CA3/CA4 cash detail (or no counter before it)'
        END AS unusable_reason,
        CAST(coalesce(l.adjusted_cents, l.counted_cents) AS DECIMAL(18, 2)) / 100 AS counted
    FROM located AS l
    LEFT JOIN summed AS s USING (collection_id)
    LEFT JOIN tube AS tb ON tb.read_id = l.start_read_id
    LEFT JOIN tube AS ta ON ta.read_id = l.end_read_id
),
expected AS (
    SELECT
        *,
        CASE WHEN unusable_reason IS NULL
            THEN CAST(to_cashbox + bills_in + manually_dispensed AS DECIMAL(18, 2))
        END AS expected_cash
    FROM valued
)
SELECT
    collection_id,
    machine_serial,
    asset_number,
    route_code,
    driver,
    bag,
    source,
    collected_at,
    period_start,
    period_end,
    start_read_id,
    end_read_id,
    reads_in_interval,
    counter_basis,
    CAST(cash_sales AS DECIMAL(18, 2)) AS cash_sales,
    CAST(cash_in AS DECIMAL(18, 2)) AS cash_in,
    CAST(to_tubes AS DECIMAL(18, 2)) AS to_tubes,
    CAST(to_cashbox AS DECIMAL(18, 2)) AS to_cashbox,
    CAST(bills_in AS DECIMAL(18, 2)) AS bills_in,
    CAST(change_dispensed AS DECIMAL(18, 2)) AS change_dispensed,
    CAST(manually_filled AS DECIMAL(18, 2)) AS manually_filled,
    CAST(manually_dispensed AS DECIMAL(18, 2)) AS manually_dispensed,
    CAST(tube_level_before AS DECIMAL(18, 2)) AS tube_level_before,
    CAST(tube_level_after AS DECIMAL(18, 2)) AS tube_level_after,
    CAST(cashless_sales AS DECIMAL(18, 2)) AS cashless_sales,
    expected_cash,
    CAST(counted_bills_cents AS DECIMAL(18, 2)) / 100 AS counted_bills,
    CAST(counted_coins_cents AS DECIMAL(18, 2)) / 100 AS counted_coins,
    CAST(counted_cents AS DECIMAL(18, 2)) / 100 AS driver_counted_cash,
    counted AS counted_cash,
    CAST(counted - expected_cash AS DECIMAL(18, 2)) AS variance,
    round(CAST(counted - expected_cash AS DOUBLE) / nullif(CAST(expected_cash AS DOUBLE), 0), 4)
        AS variance_share,
    CASE
        WHEN unusable_reason IS NOT NULL THEN 'unusable'
        WHEN counted IS NULL THEN 'uncounted'
        WHEN counted = expected_cash THEN 'matched'
        WHEN counted < expected_cash THEN 'short'
        ELSE 'over'
    END AS status,
    unusable_reason,
    reconcile_state,
    reconcile_note
FROM expected
