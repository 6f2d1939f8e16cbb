#include "store/schema.hpp"

#include <array>
#include <string>

namespace knowthy::store {
namespace {

// Append only: a released migration never changes; a new one goes at the end.
constexpr std::array k_migrations = {
    // 1: the archive import.
    R"sql(
CREATE TABLE account (
  account_id   TEXT PRIMARY KEY,
  username     TEXT NOT NULL,
  display_name TEXT,
  created_at   TEXT,
  bio          TEXT,
  website      TEXT,
  location     TEXT,
  updated_at   TEXT NOT NULL
);
CREATE TABLE imports (
  id            INTEGER PRIMARY KEY,
  started_at    TEXT NOT NULL,
  finished_at   TEXT NOT NULL,
  source        TEXT NOT NULL,
  source_bytes  INTEGER NOT NULL,
  generated_at  TEXT,
  tweets_seen   INTEGER NOT NULL,
  tweets_added  INTEGER NOT NULL,
  deleted_added INTEGER NOT NULL,
  notes_merged  INTEGER NOT NULL,
  likes_added   INTEGER NOT NULL
);
-- Tweet ids are 64-bit snowflakes: stored exactly as INTEGER (never through a double) and
-- always written out as strings. Exports list tweets newest first, so `seq` (insertion order)
-- is the table's key: appending keeps pages full, where keying by id would split them half empty.
CREATE TABLE tweets (
  seq                 INTEGER PRIMARY KEY,
  id                  INTEGER NOT NULL UNIQUE,
  created_at          TEXT NOT NULL,
  kind                TEXT NOT NULL CHECK (kind IN ('original','reply','self_reply','retweet','quote')),
  text                TEXT NOT NULL,
  in_reply_to         TEXT,
  in_reply_to_user_id TEXT,
  in_reply_to_screen_name TEXT,
  mentions            TEXT NOT NULL,
  hashtags            TEXT NOT NULL,
  urls                TEXT NOT NULL,
  media_count         INTEGER NOT NULL,
  lang                TEXT,
  note_id             TEXT,
  deleted             INTEGER NOT NULL DEFAULT 0,
  deleted_at          TEXT,
  raw                 TEXT NOT NULL,
  import_id           INTEGER NOT NULL REFERENCES imports(id)
);
CREATE INDEX tweets_by_time ON tweets(created_at);
CREATE TABLE notes (
  note_id    TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  text       TEXT NOT NULL,
  tweet_id   INTEGER,
  raw        TEXT NOT NULL
);
CREATE TABLE likes (
  tweet_id     TEXT PRIMARY KEY,
  full_text    TEXT,
  expanded_url TEXT,
  import_id    INTEGER NOT NULL REFERENCES imports(id)
);
)sql",
    // 2: two-pass extraction. A tweet belongs to at most one batch (tweets.batch_id); the queue of
    // unprocessed tweets is a partial index, so taking the next batch costs the same on the first
    // and the thousandth batch. Ids stay INTEGER, as in tweets.
    R"sql(
CREATE TABLE batches (
  id                  INTEGER PRIMARY KEY,  -- N of runs/batch_NNNNNN
  status              TEXT NOT NULL CHECK (status IN ('pending','running','done','failed')),
  tweet_count         INTEGER NOT NULL,
  created_at          TEXT NOT NULL,
  started_at          TEXT,
  finished_at         TEXT,
  attempts            INTEGER NOT NULL DEFAULT 0,
  error               TEXT,
  draft_session_id    TEXT,
  critique_session_id TEXT,
  prompt_tokens       INTEGER,
  completion_tokens   INTEGER,
  model_ms            REAL,
  candidates          INTEGER,
  examples            INTEGER,
  hallucinated_ids    INTEGER
);
CREATE INDEX batches_by_status ON batches(status, id);
ALTER TABLE tweets ADD COLUMN batch_id INTEGER REFERENCES batches(id);
CREATE INDEX tweets_by_batch ON tweets(batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX tweets_queue ON tweets(created_at, id) WHERE batch_id IS NULL AND deleted = 0 AND kind <> 'retweet';
CREATE INDEX tweets_queue_all ON tweets(created_at, id) WHERE batch_id IS NULL AND deleted = 0;
-- What a done batch verified, for consolidation: the critique's normalized answer.
CREATE TABLE candidates (
  batch_id          INTEGER NOT NULL REFERENCES batches(id),
  idx               INTEGER NOT NULL,
  category          TEXT NOT NULL,
  claim             TEXT NOT NULL,
  evidence_tweet_ids TEXT NOT NULL,  -- JSON array of id strings
  confidence        REAL NOT NULL,
  flags             TEXT NOT NULL,   -- JSON array
  PRIMARY KEY (batch_id, idx)
) WITHOUT ROWID;
CREATE TABLE examples (
  batch_id          INTEGER NOT NULL REFERENCES batches(id),
  idx               INTEGER NOT NULL,
  prompt            TEXT NOT NULL,
  response          TEXT NOT NULL,
  evidence_tweet_ids TEXT NOT NULL,
  flags             TEXT NOT NULL,
  PRIMARY KEY (batch_id, idx)
) WITHOUT ROWID;
-- One row per extract/run invocation: what it did and how it ended.
CREATE TABLE runs (
  id             INTEGER PRIMARY KEY,
  command        TEXT NOT NULL,
  started_at     TEXT NOT NULL,
  finished_at    TEXT,
  status         TEXT NOT NULL CHECK (status IN ('running','ok','stopped','failed')),
  batches_done   INTEGER NOT NULL DEFAULT 0,
  batches_failed INTEGER NOT NULL DEFAULT 0,
  message        TEXT
);
)sql",
    // 3: knowledge. A batch's dataset split is fixed the first time `datasets` sees it, so that
    // changing heldout_percent never moves a batch that was already trained on or held out.
    R"sql(
ALTER TABLE batches ADD COLUMN split TEXT CHECK (split IN ('train','heldout'));
-- Every profile consolidation that changed something: profile/versions/NNNNNN.json.
CREATE TABLE profile_versions (
  version     INTEGER PRIMARY KEY,
  created_at  TEXT NOT NULL,
  hash        TEXT NOT NULL,     -- xxh64 of profile.json
  entries     INTEGER NOT NULL,
  batches     INTEGER NOT NULL,  -- done batches it consolidates
  candidates  INTEGER NOT NULL,  -- verified candidates merged
  added       INTEGER NOT NULL,
  dropped     INTEGER NOT NULL,
  changed     INTEGER NOT NULL
);
-- Every `datasets` build: the counts status, health and insights report.
CREATE TABLE dataset_builds (
  id          INTEGER PRIMARY KEY,
  created_at  TEXT NOT NULL,
  dpo_train   INTEGER NOT NULL,
  dpo_heldout INTEGER NOT NULL,
  sft_train   INTEGER NOT NULL,
  sft_heldout INTEGER NOT NULL,
  pairs       INTEGER NOT NULL,  -- DPO pairs considered, flagged or not
  flagged     TEXT NOT NULL      -- JSON object: flag -> count (pairs and examples)
);
-- Model candidates (cand_0001, ...): trained, evaluated, promoted by the train and eval steps.
CREATE TABLE models (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  state        TEXT NOT NULL CHECK (state IN ('ready','training','awaiting_eval','passed','failed','promoted','rolled_back')),
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  trained_at   TEXT,
  evaluated_at TEXT,
  promoted_at  TEXT
);
CREATE INDEX runs_by_command ON runs(command, status, finished_at);
)sql",
    // 4: training. Nothing wrote `models` before this version, so it is made again with the
    // columns the train step needs (and the train_failed state). A candidate covers the batches
    // that were finished when it was made (model_batches); the gate counts what is new since.
    // dataset_pairs is what the last `datasets` build made of each batch's DPO pair.
    R"sql(
DROP TABLE models;
CREATE TABLE models (
  id            INTEGER PRIMARY KEY,  -- N of models/cand_NNNN
  name          TEXT NOT NULL UNIQUE,
  state         TEXT NOT NULL CHECK (state IN ('ready','training','awaiting_eval','train_failed','passed','failed',
                                               'promoted','rolled_back')),
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  trained_at    TEXT,
  evaluated_at  TEXT,
  promoted_at   TEXT,
  trainer       TEXT NOT NULL,  -- none | command | llama-opt
  parent        TEXT NOT NULL,  -- the model it starts from: base, or a candidate's name
  base_path     TEXT NOT NULL,
  base_sha256   TEXT NOT NULL,
  output        TEXT,           -- the GGUF it made, relative to its folder
  output_kind   TEXT CHECK (output_kind IN ('model','adapter')),
  reason        TEXT,           -- why training failed
  owner_pid     INTEGER,        -- while training: the knowthy process that runs the trainer ...
  owner_start   INTEGER,        -- ... and its start time (clock ticks since boot), against pid reuse
  trainer_pid   INTEGER,        -- the trainer's process (and process group)
  trainer_start INTEGER
);
CREATE INDEX models_by_state ON models(state);
CREATE TABLE model_batches (
  model_id INTEGER NOT NULL REFERENCES models(id),
  batch_id INTEGER NOT NULL,
  split    TEXT NOT NULL CHECK (split IN ('train','heldout','flagged')),
  PRIMARY KEY (model_id, batch_id)
) WITHOUT ROWID;
CREATE TABLE dataset_pairs (
  batch_id INTEGER PRIMARY KEY,
  split    TEXT NOT NULL CHECK (split IN ('train','heldout')),
  clean    INTEGER NOT NULL  -- 1: in dpo.train.jsonl or dpo.heldout.jsonl; 0: flagged
);
)sql",
    // 5: promotion. The active model is the newest promotion not rolled back (none: the base
    // model); rolling back marks the newest one, and the one before it is active again.
    R"sql(
CREATE TABLE promotions (
  seq            INTEGER PRIMARY KEY,
  model_id       INTEGER NOT NULL REFERENCES models(id),
  promoted_at    TEXT NOT NULL,
  rolled_back_at TEXT
);
)sql",
    // 6: the loop. A tick is a `runs` row (command 'tick'); each of its steps is a row here, with
    // how it ended (ok, skipped, failed) and why.
    R"sql(
CREATE TABLE run_steps (
  run_id      INTEGER NOT NULL REFERENCES runs(id),
  idx         INTEGER NOT NULL,
  step        TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('ok','skipped','failed')),
  detail      TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  seconds     REAL NOT NULL,
  PRIMARY KEY (run_id, idx)
);
)sql",
};

}  // namespace

int schema_version() { return static_cast<int>(k_migrations.size()); }

Status migrate(Db& db) {
  auto current = db.query_int("PRAGMA user_version");
  if (!current) return std::unexpected(current.error());
  if (*current > schema_version())
    return fail("database",
                "schema version " + std::to_string(*current) + " is newer than this knowthy (" +
                    std::to_string(schema_version()) + ")",
                "upgrade knowthy");
  for (int v = static_cast<int>(*current); v < schema_version(); ++v) {
    auto tx = Transaction::begin(db);
    if (!tx) return std::unexpected(tx.error());
    if (auto s = db.exec(k_migrations[static_cast<size_t>(v)]); !s) return s;
    if (auto s = db.exec("PRAGMA user_version = " + std::to_string(v + 1)); !s) return s;
    if (auto s = tx->commit(); !s) return s;
  }
  return {};
}

}  // namespace knowthy::store
