-- params: machine_serial=''
-- The machine's usable DEX reads with their integrity verdicts, newest first.
SELECT read_at, received_at, read_time_source, clock_warning, crc_present, crc_verified,
       crc_variant, dts_version, selections, reads_since_init, init_at, read_id
FROM dex_reads
WHERE machine_serial = $machine_serial
ORDER BY read_at DESC NULLS LAST
