-- The province-wide search reads the newest published rows first, across every
-- county: down `id` alone (the primary key leads with the county since 0009, so
-- without this every name search sorted the whole table), and a page's rows by id.
CREATE UNIQUE INDEX public_results_id ON public_results (id);
