-- What the public can search: one row per published inspection (a visit of a
-- published task), written in the transaction that publishes the task and never
-- changed afterwards: the name is the entity's name when its result was published.
CREATE TABLE public_results (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks (id),
    entity_id TEXT NOT NULL,
    entity_name TEXT NOT NULL,
    township TEXT NOT NULL,
    task_title TEXT NOT NULL,
    -- Department codes of the items inspected, comma-separated, sorted.
    departments TEXT NOT NULL,
    inspected_on DATE,
    published_at TIMESTAMP NOT NULL,
    problems BOOLEAN NOT NULL,
    -- Result category codes of all items, comma-separated, sorted.
    categories TEXT NOT NULL,
    -- The name as character bigrams (see liancha_domain::search).
    grams TEXT NOT NULL,
    UNIQUE (task_id, entity_id)
);

CREATE INDEX public_results_entity ON public_results (entity_id, id);

-- The public statistics of a year read only this index, never the wider rows.
CREATE INDEX public_results_year ON public_results (published_at, township, entity_id, problems, departments, categories);

-- Substring search: each bigram of the name is one token (the unicode61 tokenizer
-- splits on the spaces); the search looks up a query's rarest bigrams and confirms
-- the whole sequence on `grams`, so no positions are kept (detail=none). Contentless,
-- with rowid = -id: FTS5 walks a doclist backwards only by loading all of it, and
-- newest-first is then its cheap ascending order.
CREATE VIRTUAL TABLE public_results_fts USING fts5 (
    grams,
    content = '',
    detail = none,
    tokenize = 'unicode61'
);

CREATE TRIGGER public_results_fts_insert AFTER INSERT ON public_results BEGIN
    INSERT INTO public_results_fts (rowid, grams) VALUES (-new.id, new.grams);
END;

CREATE TRIGGER public_results_fts_delete AFTER DELETE ON public_results BEGIN
    INSERT INTO public_results_fts (public_results_fts, rowid, grams) VALUES ('delete', -old.id, old.grams);
END;

-- How many published results have each bigram in their name: the search looks up
-- a long query by its rarest bigrams first.
CREATE TABLE public_result_bigrams (
    bigram TEXT PRIMARY KEY,
    rows INTEGER NOT NULL
);
