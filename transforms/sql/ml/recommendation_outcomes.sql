-- recommendation_outcomes: per accepted recommendation (recommendation_decisions joined to the
-- run's promise in recommendation_log), what the changed slot sold after the change against what
-- was promised. The change counts from the first read on or after its planned visit (else the
-- decision) that reports the recommended product in the selection (machine clock: changed_at);
-- realised figures add up the read intervals after it that report that product (fct_slot_sales,
-- so no day is estimated), per week of the span they cover; "before" is the selection's
-- intervals over as long a span ending where the change's interval began. weeks_observed says
-- how long the evidence is: the pages compare only once it reaches CVD_OUTCOME_WEEKS.
-- within_interval: the realised weekly revenue change lies in the swap's 80% interval. Accepted
-- records (change 'record') have no outcome: the machine already held that product.
CREATE OR REPLACE VIEW recommendation_outcomes AS
WITH accepted AS (
    SELECT l.*, d.decided_at, d.decided_by
    FROM recommendation_decisions AS d
    JOIN recommendation_log AS l USING (recommendation_id, run_id)
    -- a record only brings the planogram up to what the machine already holds: nothing changes
    WHERE d.decision = 'accepted' AND l.change <> 'record'
),
applied AS (
    SELECT a.recommendation_id, s.period_start AS change_start, s.period_end AS changed_at
    FROM accepted AS a
    JOIN fct_slot_sales AS s
        ON s.machine_serial = a.machine_serial
        AND s.selection = a.selection
        AND s.product_id = a.recommended_product_id
    WHERE s.period_end >= coalesce(CAST(a.visit_date AS TIMESTAMP), CAST(a.decided_at AS TIMESTAMP))
    QUALIFY row_number() OVER (PARTITION BY a.recommendation_id ORDER BY s.period_end) = 1
),
after AS (
    SELECT
        p.recommendation_id,
        sum(s.units_sold) AS units,
        CAST(sum(s.revenue) AS DOUBLE) AS revenue,
        date_diff('second', p.changed_at, max(s.period_end)) / 86400.0 AS days
    FROM applied AS p
    JOIN accepted AS a USING (recommendation_id)
    JOIN fct_slot_sales AS s
        ON s.machine_serial = a.machine_serial
        AND s.selection = a.selection
        AND s.product_id = a.recommended_product_id
        AND s.period_start >= p.changed_at
    GROUP BY p.recommendation_id, p.changed_at
),
before AS (
    SELECT
        p.recommendation_id,
        sum(s.units_sold) AS units,
        CAST(sum(s.revenue) AS DOUBLE) AS revenue,
        date_diff('second', min(s.period_start), max(s.period_end)) / 86400.0 AS days
    FROM applied AS p
    JOIN after AS f USING (recommendation_id)
    JOIN accepted AS a USING (recommendation_id)
    JOIN fct_slot_sales AS s
        ON s.machine_serial = a.machine_serial
        AND s.selection = a.selection
        AND s.period_end <= p.change_start
        AND s.period_start >= p.change_start - to_seconds(CAST(f.days * 86400 AS BIGINT))
    GROUP BY p.recommendation_id
)
SELECT
    a.recommendation_id,
    a.run_id,
    a.machine_serial,
    a.asset_number,
    a.cabinet,
    a.slot,
    a.selection,
    a.change,
    a.current_product_id,
    a.recommended_product_id,
    a.trial,
    a.decided_at,
    a.visit_date,
    p.changed_at,
    f.days / 7.0 AS weeks_observed,
    a.current_weekly_units AS promised_before_weekly_units,
    a.expected_weekly_units AS promised_weekly_units,
    a.expected_weekly_revenue AS promised_weekly_revenue,
    a.expected_change_revenue AS promised_change_revenue,
    a.weekly_gain AS promised_weekly_gain,
    a.weekly_gain_low,
    a.weekly_gain_high,
    CASE WHEN f.days > 0 THEN f.units / f.days * 7 END AS realised_weekly_units,
    CASE WHEN f.days > 0 THEN f.revenue / f.days * 7 END AS realised_weekly_revenue,
    CASE WHEN b.days > 0 THEN b.units / b.days * 7 END AS before_weekly_units,
    CASE WHEN b.days > 0 THEN b.revenue / b.days * 7 END AS before_weekly_revenue,
    CASE WHEN f.days > 0 AND b.days > 0 THEN f.revenue / f.days * 7 - b.revenue / b.days * 7 END
        AS realised_change_revenue,
    CASE
        WHEN f.days > 0 AND b.days > 0 AND a.weekly_gain_low IS NOT NULL
            THEN f.revenue / f.days * 7 - b.revenue / b.days * 7
                BETWEEN a.weekly_gain_low AND a.weekly_gain_high
    END AS within_interval
FROM accepted AS a
LEFT JOIN applied AS p USING (recommendation_id)
LEFT JOIN after AS f USING (recommendation_id)
LEFT JOIN before AS b USING (recommendation_id)
ORDER BY a.decided_at, a.recommendation_id;
