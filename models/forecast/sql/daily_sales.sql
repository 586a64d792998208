-- Units sold per machine, selection, product and day (machine clock), per interval: the daily
-- spread's parts, so the forecast can re-spread each interval over the hours the slot was in
-- stock (the marts spread by the machine's hour-of-week profile alone).
SELECT machine_serial, selection, product_id, sales_date, read_id_end,
       units_sold::DOUBLE AS units, profile_share::DOUBLE AS profile_share
FROM read_parquet({files:marts/fct_daily_sales_parts}, union_by_name = true)
WHERE selection IS NOT NULL AND product_id IS NOT NULL
