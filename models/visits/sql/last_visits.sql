-- last_visits: per machine its last visit and its visit hour. A visit is a read carrying a door
-- opening (EA1 EGS) within an hour of the read time: the driver opened the machine, read it and
-- refilled it. The visit hour is the median hour of the machine's visits (its route hour).
CREATE OR REPLACE TEMP VIEW last_visits AS
WITH visits AS (
    SELECT DISTINCT machine_serial, read_at
    FROM dex_events
    WHERE segment = 'EA1' AND code = 'EGS' AND event_at IS NOT NULL AND read_at IS NOT NULL
        AND abs(date_diff('second', event_at, read_at)) <= 3600
)
SELECT
    machine_serial,
    max(read_at) AS last_visit_at,
    median(hour(read_at) + minute(read_at) / 60.0) AS visit_hour
FROM visits
GROUP BY ALL;
