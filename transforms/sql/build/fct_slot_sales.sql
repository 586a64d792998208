-- fct_slot_sales (model): sales per machine and selection between two consecutive usable reads,
-- for the intervals whose END read lies in [$window_start, $window_end) (machine clock).
-- Runs on the catalog's raw views (dex_reads is already de-duplicated). Rules: docs/dex-format.md,
-- "Sales between two reads"; docs/metrics.md explains every branch.
WITH {read_chain},
chain AS (
    -- every placeable read with the one before it in its machine's chain (read_chain.sql)
    SELECT
        read_id,
        machine_serial,
        read_at,
        init_at,
        reads_since_init,
        currency,
        decimals,
        lag(read_id) OVER w AS prev_read_id,
        lag(read_at) OVER w AS prev_read_at,
        lag(init_at) OVER w AS prev_init_at,
        lag(reads_since_init) OVER w AS prev_reads_since_init
    FROM placed
    WINDOW w AS (PARTITION BY machine_serial ORDER BY chain_n)
),
ends AS (
    SELECT *
    FROM chain
    WHERE prev_read_id IS NOT NULL  -- the first read of a machine opens no interval
      AND read_at >= $window_start AND read_at < $window_end
),
counters AS (
    -- only the counter rows of the reads involved; the read_at bound lets DuckDB skip row groups
    SELECT *, coalesce(selection, '#' || position) AS selection_key
    FROM dex_selection_counters
    -- (a start read may lie after the window when the clock was set back between the two)
    WHERE read_at >= (SELECT min(least(prev_read_at, read_at)) FROM ends)
      AND read_at <= (SELECT max(greatest(prev_read_at, read_at)) FROM ends)
      AND (read_id IN (SELECT read_id FROM ends) OR read_id IN (SELECT prev_read_id FROM ends))
),
pairs AS (
    SELECT
        e.machine_serial,
        ce.selection_key,
        ce.selection,
        ce.position,
        ce.product_id,
        ce.price,
        ce.capacity,
        ce.current_level,
        ce.sold_out_at,
        ce.sold_out_count,
        ce.standard_fill,
        cs.current_level AS level_start,
        cs.product_id AS product_start,
        e.prev_read_at AS period_start,
        e.read_at AS period_end,
        e.prev_read_id AS read_id_start,
        e.read_id AS read_id_end,
        e.currency,
        -- an 8-digit value field in minor units wraps at 10^8 of them
        CAST(100000000 AS DECIMAL(20, 4)) / power(10, coalesce(e.decimals, 2))::DECIMAL(20, 4)
            AS value_modulus,
        CASE
            WHEN e.init_at IS DISTINCT FROM e.prev_init_at
                AND e.init_at IS NOT NULL AND e.prev_init_at IS NOT NULL THEN 'restart'
            WHEN ce.paid_vends_total IS NULL OR cs.paid_vends_total IS NULL THEN 'interval'
            WHEN ce.paid_vends_total < cs.paid_vends_total
                OR ce.paid_value_total < cs.paid_value_total THEN
                -- EA3's chain: a read counter that went down means the board was initialised
                CASE WHEN e.reads_since_init < e.prev_reads_since_init THEN 'restart' ELSE 'wrap' END
            ELSE 'cumulative'
        END AS counter_basis,
        cs.paid_vends_total AS s_vends, ce.paid_vends_total AS e_vends,
        cs.paid_value_total AS s_value, ce.paid_value_total AS e_value,
        ce.paid_vends_since_reset AS e_vends_reset, ce.paid_value_since_reset AS e_value_reset,
        coalesce(cs.test_vends_total, 0) AS s_test, coalesce(ce.test_vends_total, 0) AS e_test,
        coalesce(cs.test_value_total, 0) AS s_test_value,
        coalesce(ce.test_value_total, 0) AS e_test_value,
        coalesce(ce.test_vends_since_reset, 0) AS e_test_reset,
        coalesce(ce.test_value_since_reset, 0) AS e_test_value_reset,
        coalesce(cs.free_vends_total, 0) AS s_free, coalesce(ce.free_vends_total, 0) AS e_free,
        coalesce(cs.free_value_total, 0) AS s_free_value,
        coalesce(ce.free_value_total, 0) AS e_free_value,
        coalesce(ce.free_vends_since_reset, 0) AS e_free_reset,
        coalesce(ce.free_value_since_reset, 0) AS e_free_value_reset
    FROM ends AS e
    JOIN counters AS ce ON ce.read_id = e.read_id
    LEFT JOIN counters AS cs ON cs.read_id = e.prev_read_id AND cs.selection_key = ce.selection_key
)
SELECT
    machine_serial,
    selection_key,
    selection,
    position,
    product_id,
    period_start,
    period_end,
    CAST(CASE counter_basis
        WHEN 'cumulative' THEN e_vends - s_vends
        WHEN 'interval' THEN e_vends_reset
        WHEN 'restart' THEN coalesce(e_vends, e_vends_reset)
        -- a wrap: the 16-bit count field passed 65,535 (docs/metrics.md)
        ELSE CASE WHEN e_vends < s_vends THEN e_vends - s_vends + 65536 ELSE e_vends - s_vends END
    END AS BIGINT) AS units_sold,
    CAST(CASE counter_basis
        WHEN 'cumulative' THEN e_value - s_value
        WHEN 'interval' THEN e_value_reset
        WHEN 'restart' THEN coalesce(e_value, e_value_reset)
        ELSE CASE WHEN e_value < s_value THEN e_value - s_value + value_modulus
            ELSE e_value - s_value END
    END AS DECIMAL(20, 4)) AS revenue,
    currency,
    counter_basis,
    read_id_start,
    read_id_end,
    CAST(CASE counter_basis
        WHEN 'interval' THEN e_test_reset
        WHEN 'restart' THEN e_test
        ELSE greatest(e_test - s_test, 0)
    END AS BIGINT) AS test_vends,
    CAST(CASE counter_basis
        WHEN 'interval' THEN e_test_value_reset
        WHEN 'restart' THEN e_test_value
        ELSE greatest(e_test_value - s_test_value, 0)
    END AS DECIMAL(20, 4)) AS test_value,
    CAST(CASE counter_basis
        WHEN 'interval' THEN e_free_reset
        WHEN 'restart' THEN e_free
        ELSE greatest(e_free - s_free, 0)
    END AS BIGINT) AS free_vends,
    CAST(CASE counter_basis
        WHEN 'interval' THEN e_free_value_reset
        WHEN 'restart' THEN e_free_value
        ELSE greatest(e_free_value - s_free_value, 0)
    END AS DECIMAL(20, 4)) AS free_value,
    price,
    capacity,
    current_level,
    sold_out_at,
    sold_out_count,
    -- the start read's level and product and the end read's standard fill (PA108, PA103,
    -- PA105): what fct_stockouts needs of the two reads beyond the interval, kept here so it
    -- does not read the counters of every read of a machine's history again
    level_start,
    standard_fill,
    product_start
FROM pairs
