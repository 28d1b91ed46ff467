-- A run's alphabet is resolved when it is submitted (crnnctl reads the preset or the file), so a
-- coordinator never has to resolve it and every machine trains the classes the submitter saw.
--
-- Runs queued before this migration and never started have none yet: the two built-in presets
-- are filled here; a run on a data-file preset (gb2312-l1, gb2312, full) keeps NULL and the
-- coordinator resolves it once, as before. The check is NOT VALID so that those old rows stay,
-- while every row inserted or updated from now on must carry its alphabet.
UPDATE runs
   SET charset = (SELECT array_agg(chr(c) ORDER BY c) FROM generate_series(48, 57) AS c)
 WHERE charset IS NULL AND charset_name = 'digits';

UPDATE runs
   SET charset = (SELECT array_agg(chr(c) ORDER BY c) FROM generate_series(33, 126) AS c)
 WHERE charset IS NULL AND charset_name = 'ascii';

ALTER TABLE runs ADD CONSTRAINT runs_charset_resolved CHECK (charset IS NOT NULL) NOT VALID;

COMMENT ON COLUMN runs.charset IS
    'Resolved alphabet, set at submit: class i+1 is charset[i], class 0 the CTC blank.';
