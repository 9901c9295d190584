-- Active entities per county, the oversight's denominator, counted from the index
-- alone rather than by reading every row of the county's directory.
CREATE INDEX entities_status ON entities (county, status);
