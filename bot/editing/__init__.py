"""Rules as revisions in the database, the formats editors write a field in, and the questions nobody
could answer (for editors to teach to a rule)."""
