-- fct_stockouts step 1, slot intervals: every interval of fct_slot_sales with the level and
-- standard fill of its two reads (PA108, PA105, carried by fct_slot_sales), the stock added
-- between them, whether the start read was a service visit, the time of a read in between that
-- we never received (EA3) and the places of its two reads in the machine's chain (`chain_n`, `start_chain_n`; read_chain.sql): a
-- slot's intervals in that order are links, each starting where the one before it ended unless
-- the slot was missing from a read.
visit_reads AS (
    -- reads taken at a service visit: the door was opened in the hour before the read (EA1 EGS)
    SELECT DISTINCT read_id
    FROM dex_events
    WHERE code = 'EGS'
        AND event_at BETWEEN read_at - INTERVAL 1 HOUR AND read_at + INTERVAL 1 MINUTE
),
slot_intervals AS (
    SELECT
        sales.machine_serial, sales.selection_key, sales.selection, sales.product_id,
        sales.read_id_start, sales.read_id_end, sales.period_start, sales.period_end,
        sales.units_sold, sales.sold_out_at, sales.sold_out_count,
        sales.level_start, sales.current_level AS level_end, sales.standard_fill,
        sales.product_start, sales.counter_basis,
        -- the machine's previous read (EA3) lies after the start read: reads we never received
        CASE WHEN end_read.previous_read_at > sales.period_start
            AND end_read.previous_read_at < sales.period_end
            THEN end_read.previous_read_at END AS missing_at,
        visit.read_id IS NOT NULL AS visit_at_start, end_read.chain_n,
        start_read.chain_n AS start_chain_n,
        sales.current_level + sales.units_sold + sales.test_vends + sales.free_vends
            - sales.level_start AS added
    FROM fct_slot_sales AS sales
    -- (`placed` holds every read with a read time: every read that can end an interval)
    LEFT JOIN placed AS end_read ON end_read.read_id = sales.read_id_end
    LEFT JOIN placed AS start_read ON start_read.read_id = sales.read_id_start
    LEFT JOIN visit_reads AS visit ON visit.read_id = sales.read_id_start
)
