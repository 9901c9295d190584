-- What the caches of public figures and searches are keyed on: it grows with every
-- change to the published results, in the transaction that makes it. The largest
-- id, used until now, grows with a publication but not with a correction made after
-- an objection (its rows are updated in place), so a corrected result could be
-- shown as it was until the next publication. Triggers, so no write can miss it
-- (SQLite's are per row: a publication moves it once per row).
CREATE TABLE public_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO public_version (id, version) SELECT 1, COALESCE(MAX(id), 0) FROM public_results;

CREATE TRIGGER public_results_version_insert AFTER INSERT ON public_results BEGIN
    UPDATE public_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER public_results_version_update AFTER UPDATE ON public_results BEGIN
    UPDATE public_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER public_results_version_delete AFTER DELETE ON public_results BEGIN
    UPDATE public_version SET version = version + 1 WHERE id = 1;
END;
