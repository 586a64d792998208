-- cashless_share_by_machine: per machine, the cash (CA2) and cashless (DA2 + DB2) sales over
-- every interval between its consecutive reads (the amounts of cash/01_read_flows), and the
-- cashless share of their sum.
WITH {read_chain},
{cash/01_read_flows}
SELECT
    machine_serial,
    min(p.read_at) AS first_read_at,
    max(p.read_at) AS last_read_at,
    CAST(sum(f.cash_sales) AS DECIMAL(18, 2)) AS cash_sales,
    CAST(sum(f.cashless_sales) AS DECIMAL(18, 2)) AS cashless_sales,
    round(CAST(sum(f.cashless_sales) AS DOUBLE)
        / nullif(CAST(coalesce(sum(f.cash_sales), 0) + coalesce(sum(f.cashless_sales), 0)
            AS DOUBLE), 0), 4) AS cashless_share
FROM cash_read_flows AS f
JOIN placed AS p USING (machine_serial, read_id)
GROUP BY ALL
