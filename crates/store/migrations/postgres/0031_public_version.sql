-- What the caches of public figures and searches are keyed on: it grows with every
-- change to the published results, in the transaction that makes it. The largest
-- id, used until now, grows with a publication but not with a correction made after
-- an objection (its rows are updated in place), so a corrected result could be
-- shown as it was until the next publication. A trigger, so no write can miss it.
CREATE TABLE public_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO public_version (id, version) SELECT 1, COALESCE(MAX(id), 0) FROM public_results;

CREATE FUNCTION public_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE public_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END $$;

CREATE TRIGGER public_results_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON public_results FOR EACH STATEMENT EXECUTE FUNCTION public_version_bump();
