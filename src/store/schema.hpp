#pragma once
#include "store/db.hpp"

namespace knowthy::store {

// The schema version this binary writes (PRAGMA user_version).
int schema_version();

// Brings the database up to schema_version(), one migration per transaction. Refuses a database
// written by a newer knowthy.
Status migrate(Db& db);

}  // namespace knowthy::store
