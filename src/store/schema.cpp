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
