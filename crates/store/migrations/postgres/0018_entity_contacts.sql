-- An entity's contact for inspections (联络员 and phone), kept by the directory's
-- keeper on the entity's page. Staff-only: the public pages never read it. Imports
-- leave it alone (the registry's file does not carry it).
ALTER TABLE entities ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';
ALTER TABLE entities ADD COLUMN contact_phone TEXT NOT NULL DEFAULT '';
