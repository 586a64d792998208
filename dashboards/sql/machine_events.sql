-- params: machine_serial=''
-- The machine's DEX events (EA1 single events, EA2 counters, EA7 power outages), newest first.
SELECT read_at, segment, code, event_at, duration_minutes, active, count_reset, count_init
FROM dex_events
WHERE machine_serial = $machine_serial
ORDER BY read_at DESC NULLS LAST, segment, code
