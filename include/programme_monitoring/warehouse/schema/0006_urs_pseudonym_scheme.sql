-- The URS pseudonym's normalisation (issue 17): passport numbers and citizenships are
-- normalised (NFKC, case, separators, look-alike letters) before the HMAC, so pseudonyms
-- made before and after differ for the same person even under one key. The ledger records
-- the scheme of each extract (NULL: made before, scheme 1); the intake refuses to mix
-- schemes, as it refuses to mix keys (a re-key with the same key brings old extracts over).

alter table audit.urs_extract_ledger add column if not exists pseudonym_scheme integer;
