-- cash/01_read_flows: the cash counters of every read turned into the amounts that moved since
-- the read before it (CTEs `cash_kinds`, `cash_pairs`, `cash_read_flows`; needs `placed` from
-- read_chain). One amount per counter kind: CA2 cash sales, DA2/DB2 cashless sales, CA3 cash in,
-- to the cash box, to the tubes, bills in, CA4 change paid out and coins paid out by hand, CA10
-- coins filled by hand. The rules (docs/metrics.md, "Cash accountability"):
--   interval   the read sends only the since-reset element (CA301.. with CA305.. empty): that
--              element is the amount since the previous read (reset at every read);
--   restart    EA4 changed (a new board): the since-init element of this read;
--   wrap       a since-init element went down on the same board: now - before + 10^8 minor
--              units (an 8-digit field);
--   cumulative since-init now - since-init before.
-- A kind the read does not send has no amount (NULL), which makes the collection unusable.
cash_kinds AS (
    SELECT unnest([
        'cash', 'cashless1', 'cashless2', 'cash_in', 'to_cashbox', 'to_tubes', 'bills_in',
        'dispensed', 'manually_dispensed', 'filled'
    ]) AS kind
),
cash_pairs AS (
    SELECT
        cur.machine_serial,
        cur.read_id,
        cur.chain_n,
        k.kind,
        cur.init_at IS DISTINCT FROM prev.init_at AS restarted,
        now_.value_init AS now_init,
        now_.value_reset AS now_reset,
        before_.value_init AS before_init,
        CAST(100000000 AS DECIMAL(20, 4)) / CAST(power(10, coalesce(cur.decimals, 2)) AS BIGINT)
            AS field_span
    FROM placed AS cur
    JOIN placed AS prev
        ON prev.machine_serial = cur.machine_serial AND prev.chain_n = cur.chain_n - 1
    CROSS JOIN cash_kinds AS k
    LEFT JOIN dex_payment_totals AS now_ ON now_.read_id = cur.read_id AND now_.kind = k.kind
    LEFT JOIN dex_payment_totals AS before_
        ON before_.read_id = prev.read_id AND before_.kind = k.kind
),
cash_deltas AS (
    SELECT
        *,
        CASE
            WHEN now_init IS NULL AND now_reset IS NOT NULL THEN 'interval'
            WHEN now_init IS NULL THEN NULL
            WHEN restarted THEN 'restart'
            WHEN before_init IS NULL THEN NULL
            WHEN now_init < before_init THEN 'wrap'
            ELSE 'cumulative'
        END AS basis
    FROM cash_pairs
),
cash_amounts AS (
    SELECT
        *,
        CASE basis
            WHEN 'interval' THEN now_reset
            WHEN 'restart' THEN now_init
            WHEN 'wrap' THEN now_init - before_init + field_span
            WHEN 'cumulative' THEN now_init - before_init
        END AS amount
    FROM cash_deltas
),
cash_read_flows AS (
    -- one row per read that has a read before it: the amounts of the interval it ends
    SELECT
        machine_serial,
        read_id,
        chain_n,
        sum(amount) FILTER (WHERE kind = 'cash') AS cash_sales,
        sum(amount) FILTER (WHERE kind IN ('cashless1', 'cashless2')) AS cashless_sales,
        sum(amount) FILTER (WHERE kind = 'cash_in') AS cash_in,
        sum(amount) FILTER (WHERE kind = 'to_cashbox') AS to_cashbox,
        sum(amount) FILTER (WHERE kind = 'to_tubes') AS to_tubes,
        sum(amount) FILTER (WHERE kind = 'bills_in') AS bills_in,
        sum(amount) FILTER (WHERE kind = 'dispensed') AS change_dispensed,
        sum(amount) FILTER (WHERE kind = 'manually_dispensed') AS manually_dispensed,
        sum(amount) FILTER (WHERE kind = 'filled') AS manually_filled,
        bool_and(amount IS NOT NULL)
            FILTER (WHERE kind IN ('to_cashbox', 'bills_in', 'manually_dispensed')) AS box_known,
        string_agg(DISTINCT basis, ',' ORDER BY basis)
            FILTER (WHERE kind IN ('to_cashbox', 'bills_in', 'manually_dispensed')) AS basis
    FROM cash_amounts
    GROUP BY ALL
)
