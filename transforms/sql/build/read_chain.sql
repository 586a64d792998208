-- read_chain: the CTEs `placeable` and `placed` that put every placeable read of a machine in
-- the order it was taken (`chain_n`, from 1). Shared by the fct_slot_sales model (consecutive
-- reads make an interval) and the every_read_in_exactly_one_interval check (transforms/checks.py)
-- through the read_chain placeholder (transforms/marts.py, model_sql). Rules: docs/dex-format.md,
-- "Sales between two reads".
placeable AS (
    -- reads without a read time cannot be placed and open or close no interval; a machine whose
    -- every read carries EA4 and EA301 is "counted": its reads are chained by the board's own
    -- count, which a clock set backwards cannot reorder
    SELECT
        *,
        bool_and(init_at IS NOT NULL AND reads_since_init IS NOT NULL)
            OVER (PARTITION BY machine_serial) AS counted
    FROM dex_reads
    WHERE read_at IS NOT NULL
),
placed AS (
    -- per board (EA4, in init-time order) by reads since init (EA301), then machine clock;
    -- machines without EA3/EA4 everywhere in machine-clock order (ties: EA301, then id)
    SELECT
        *,
        row_number() OVER (
            PARTITION BY machine_serial
            ORDER BY
                CASE WHEN counted THEN init_at END,
                CASE WHEN counted THEN reads_since_init END,
                read_at, reads_since_init, read_id
        ) AS chain_n
    FROM placeable
)
