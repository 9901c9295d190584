-- A county's own choices about what its portal shows. announce_selection: the
-- entities a task drew are public from the draw, on its announcement, rather than
-- with the results (some counties publish the list before the visits, some do not).
-- Off by default: the selection stays unknown until the results, and so a plan
-- needs a source whose value is not public (a drand round alone would let anyone
-- compute the draw).
CREATE TABLE county_settings (
    county TEXT PRIMARY KEY REFERENCES divisions (code),
    announce_selection BOOLEAN NOT NULL DEFAULT FALSE
);
