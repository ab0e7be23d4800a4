-- Fewer pages written per customer turn: nothing looks transcript lines up by platform message
-- id, and the index was written on every line.
DROP INDEX IF EXISTS transcript_by_platform_message;
