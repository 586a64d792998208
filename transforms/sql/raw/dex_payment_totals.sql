-- dex_payment_totals: machine totals per read in long form: kind is paid (VA1), test (VA2), free (VA3),
-- cash (CA2), cashless1 (DA2), cashless2 (DB2), and the cash detail cash_in, to_cashbox, to_tubes,
-- bills_in, dispensed, manually_dispensed, filled (CA3/CA4/CA10) and tube_contents (CA15).
-- Rows of duplicate reads (see dex_reads) are left out.
CREATE OR REPLACE VIEW dex_payment_totals AS
SELECT *
FROM read_parquet({files:dex_payment_totals}, union_by_name = true)
WHERE read_id IN (SELECT read_id FROM dex_reads);
