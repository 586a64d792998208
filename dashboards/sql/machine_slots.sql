-- params: machine_serial='' days=28
-- Every slot of the machine's cabinets now, with its product, grid size and units sold in the
-- $days days up to the machine's last sales day.
WITH sold AS (
    SELECT selection_key AS selection, sum(units_sold) AS units_sold
    FROM fct_daily_sales
    WHERE machine_serial = $machine_serial
      AND sales_date > (SELECT max(sales_date) FROM fct_daily_sales
                        WHERE machine_serial = $machine_serial) - $days::INTEGER
    GROUP BY 1
)
SELECT s.cabinet_index, c.cabinet_type, c.rows, c.columns, s.slot, s.selection, s.product_id,
       p.name AS product_name, s.capacity, s.par_level, s.level_at_last_read, s.est_units_left,
       s.daily_rate, s.days_until_sold_out, s.sold_out, coalesce(sold.units_sold, 0) AS units_sold
FROM slot_status s
LEFT JOIN devices d ON d.dex_serial = s.machine_serial
LEFT JOIN cabinets c ON c.asset_number = d.asset_number AND c.cabinet_index = s.cabinet_index
LEFT JOIN products p USING (product_id)
LEFT JOIN sold USING (selection)
WHERE s.machine_serial = $machine_serial
ORDER BY s.cabinet_index, s.slot
