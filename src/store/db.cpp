#include "store/db.hpp"

namespace knowthy::store {

namespace {
// A write that the disk refused: the transaction was rolled back, so the fix is space, not repair.
std::string hint_for(int rc) {
  const int primary = rc & 0xff;
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR)
    return "the disk may be full (or a file size limit, ulimit -f, reached): the unfinished transaction was rolled "
           "back; free some space and run the command again";
  return {};
}
std::unexpected<Error> db_error(sqlite3* db, std::string_view what) {
  return fail("database", std::string(what) + ": " + sqlite3_errmsg(db), hint_for(sqlite3_extended_errcode(db)));
}
}  // namespace

Stmt& Stmt::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(m_stmt.get(), i, v);
  return *this;
}
Stmt& Stmt::bind(int i, double v) {
  sqlite3_bind_double(m_stmt.get(), i, v);
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
  sqlite3_bind_text64(m_stmt.get(), i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
Stmt& Stmt::bind_static(int i, std::string_view v) {
  sqlite3_bind_text64(m_stmt.get(), i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(m_stmt.get(), i);
  return *this;
}

Result<bool> Stmt::step() {
  int rc = sqlite3_step(m_stmt.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(m_stmt.get());
  std::string msg = sqlite3_errmsg(db);
  const int code = sqlite3_extended_errcode(db);
  sqlite3_reset(m_stmt.get());
  return fail("database", msg, hint_for(code));
}

Status Stmt::exec() {
  auto r = step();
  while (r && *r) r = step();
  if (!r) return std::unexpected(r.error());
  reset();
  return {};
}

void Stmt::reset() {
  sqlite3_reset(m_stmt.get());
  sqlite3_clear_bindings(m_stmt.get());
}

std::int64_t Stmt::column_int(int i) const { return sqlite3_column_int64(m_stmt.get(), i); }
double Stmt::column_double(int i) const { return sqlite3_column_double(m_stmt.get(), i); }
bool Stmt::column_is_null(int i) const { return sqlite3_column_type(m_stmt.get(), i) == SQLITE_NULL; }
std::string Stmt::column_text(int i) const {
  const unsigned char* p = sqlite3_column_text(m_stmt.get(), i);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(m_stmt.get(), i)));
}

Result<Db> Db::open(const std::filesystem::path& path) {
  // Memory statistics take a global mutex on every allocation; knowthy never reads them.
  static const bool k_configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return sqlite3_initialize() == SQLITE_OK;
  }();
  (void)k_configured;
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db;
  db.m_db.reset(raw);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : "out of memory";
    return fail(path.string(), "cannot open database: " + msg);
  }
  sqlite3_busy_timeout(raw, 5000);
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Status Db::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  if (const int rc = sqlite3_exec(m_db.get(), s.c_str(), nullptr, nullptr, &err); rc != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return fail("database", msg, hint_for(sqlite3_extended_errcode(m_db.get())));
  }
  return {};
}

Result<Stmt> Db::prepare(std::string_view sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v3(m_db.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &st,
                         nullptr) != SQLITE_OK)
    return db_error(m_db.get(), "prepare");
  return Stmt(st);
}

Result<std::int64_t> Db::query_int(std::string_view sql) {
  auto st = prepare(sql);
  if (!st) return std::unexpected(st.error());
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  return *row ? st->column_int(0) : 0;
}

Result<std::vector<std::int64_t>> Db::query_ints(std::string_view sql) {
  auto st = prepare(sql);
  if (!st) return std::unexpected(st.error());
  std::vector<std::int64_t> out;
  if (auto s = st->each_row([&] { out.push_back(st->column_int(0)); }); !s) return std::unexpected(s.error());
  return out;
}

std::string Db::errmsg() const { return sqlite3_errmsg(m_db.get()); }

Result<Transaction> Transaction::begin(Db& db) {
  if (auto s = db.exec("BEGIN IMMEDIATE"); !s) return std::unexpected(s.error());
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (m_db) (void)m_db->exec("ROLLBACK");
}

Status Transaction::commit() {
  if (auto s = m_db->exec("COMMIT"); !s) return s;
  m_db = nullptr;
  return {};
}

}  // namespace knowthy::store
