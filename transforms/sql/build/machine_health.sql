-- machine_health: one row per machine (seen in DEX or registered), as of the fleet's latest read.
-- Reads expected: one per service day (devices.service_days, Monday first) since the first
-- read, plus one a night for telemetry devices. CRC failures are quarantined reads, matched to
-- the machine by the serial the file name starts with (a quarantined read has no trusted
-- serial). Expected cash in the box: cash sales (CA2 since reset) of the reads after the last
-- door opening (EA1 EGS, a driver's visit empties the box).
WITH now_ AS (SELECT as_of FROM fleet_clock),
reads AS (
    SELECT
        machine_serial,
        min(read_at) AS first_read_at,
        max(read_at) AS last_read_at,
        count(*) AS reads_received,
        count(*) FILTER (WHERE clock_warning IS NOT NULL) AS clock_problems,
        count(*) FILTER (WHERE read_at IS NULL) AS reads_without_time
    FROM dex_reads
    GROUP BY ALL
),
machines AS (
    SELECT machine_serial FROM reads
    UNION
    SELECT dex_serial FROM devices WHERE dex_serial IS NOT NULL
),
crc AS (
    SELECT m.machine_serial, count(*) AS crc_failures
    FROM quarantine AS q
    JOIN machines AS m ON starts_with(q.original_name, m.machine_serial || '_')
    WHERE q.reason IN ('crc_mismatch', 'crc_malformed')
    GROUP BY ALL
),
events AS (
    SELECT
        machine_serial,
        count(*) FILTER (WHERE segment = 'EA7') AS power_outages,
        count(*) FILTER (WHERE segment = 'EA1' AND code = 'EGS') AS door_openings,
        max(coalesce(event_at, read_at)) FILTER (WHERE segment = 'EA1' AND code = 'EGS')
            AS last_door_opening_at
    FROM dex_events
    GROUP BY ALL
),
payments AS (
    SELECT
        p.machine_serial,
        sum(p.value_reset) FILTER (WHERE p.kind = 'cash') AS cash_sales,
        sum(p.value_reset) FILTER (WHERE p.kind IN ('cashless1', 'cashless2')) AS cashless_sales,
        sum(p.value_reset) FILTER (
            WHERE p.kind = 'cash' AND p.read_at > coalesce(e.last_door_opening_at, TIMESTAMP '1900-01-01')
        ) AS expected_cash_in_box
    FROM dex_payment_totals AS p
    LEFT JOIN events AS e USING (machine_serial)
    GROUP BY ALL
),
expected AS (
    SELECT
        r.machine_serial,
        count(*) FILTER (
            WHERE substr(coalesce(d.service_days, '0000000'), isodow(day)::INTEGER, 1) = '1'
        ) + CASE WHEN coalesce(d.telemetry, false) THEN count(*) ELSE 0 END AS reads_expected
    FROM reads AS r
    CROSS JOIN now_
    LEFT JOIN devices AS d ON d.dex_serial = r.machine_serial
    CROSS JOIN LATERAL (
        SELECT unnest(generate_series(CAST(r.first_read_at AS DATE), CAST(now_.as_of AS DATE), INTERVAL 1 DAY)) AS day
    )
    GROUP BY r.machine_serial, d.telemetry
)
SELECT
    m.machine_serial,
    d.asset_number,
    d.location_id,
    d.route_id,
    coalesce(d.telemetry, false) AS telemetry,
    r.first_read_at,
    r.last_read_at,
    round(date_diff('second', r.last_read_at, now_.as_of) / 3600.0, 1) AS last_read_age_hours,
    coalesce(x.reads_expected, 0) AS reads_expected,
    coalesce(r.reads_received, 0) AS reads_received,
    coalesce(c.crc_failures, 0) AS crc_failures,
    coalesce(r.clock_problems, 0) AS clock_problems,
    coalesce(ev.power_outages, 0) AS power_outages,
    coalesce(ev.door_openings, 0) AS door_openings,
    p.cash_sales,
    p.cashless_sales,
    round(p.cash_sales / nullif(p.cash_sales + p.cashless_sales, 0), 3) AS cash_share,
    p.expected_cash_in_box,
    CASE
        WHEN d.location_id IS NULL THEN 'unassigned'
        WHEN r.last_read_at IS NULL
            OR r.last_read_at < now_.as_of - CASE WHEN d.telemetry THEN INTERVAL 2 DAY ELSE INTERVAL 8 DAY END
            THEN 'stale'
        WHEN coalesce(c.crc_failures, 0) > 0 OR coalesce(r.clock_problems, 0) > 0 THEN 'failing'
        ELSE 'ok'
    END AS status,
    now_.as_of
FROM machines AS m
CROSS JOIN now_
LEFT JOIN devices AS d ON d.dex_serial = m.machine_serial
LEFT JOIN reads AS r USING (machine_serial)
LEFT JOIN expected AS x USING (machine_serial)
LEFT JOIN crc AS c USING (machine_serial)
LEFT JOIN events AS ev USING (machine_serial)
LEFT JOIN payments AS p USING (machine_serial)
