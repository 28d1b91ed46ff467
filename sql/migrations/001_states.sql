-- The lifecycle enums shared by runs and shards. Who moves a row from where to where is
-- documented on the Swift side (RunState, ShardState) and enforced by the queries in Store.

-- queued    -> running (a coordinator takes the run)
-- running   -> paused | completed | failed | cancelled
-- paused    -> running (resume) | cancelled
CREATE TYPE run_state AS ENUM ('queued', 'running', 'paused', 'completed', 'failed', 'cancelled');

-- available -> running (claimed with a lease)
-- running   -> completed | available (lease expired or given back, attempt + 1) | failed
CREATE TYPE shard_state AS ENUM ('available', 'running', 'completed', 'failed');
