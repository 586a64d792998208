-- Units and revenue per category and ISO week.
SELECT week_start, category, sum(units_sold) AS units_sold, round(sum(revenue), 2) AS revenue
FROM sales_by_product_week
GROUP BY ALL
ORDER BY week_start, category
