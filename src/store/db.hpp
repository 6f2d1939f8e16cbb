#pragma once
// A thin RAII layer over SQLite: a connection, prepared statements, and transactions.
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "util/result.hpp"

namespace knowthy::store {

struct SqliteCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* st) const noexcept { sqlite3_finalize(st); }
};

class Stmt {
 public:
  Stmt() = default;
  explicit Stmt(sqlite3_stmt* st) : m_stmt(st) {}

  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, double v);
  Stmt& bind(int i, std::string_view v);  // copied by SQLite (SQLITE_TRANSIENT)
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  // Binds without copying: `v` must outlive the statement's next step()/exec().
  Stmt& bind_static(int i, std::string_view v);
  Stmt& bind_null(int i);
  Stmt& bind(int i, const std::optional<std::string>& v) { return v ? bind(i, *v) : bind_null(i); }

  // Runs one step: true if a row is available, false when done. Errors come back as Error.
  Result<bool> step();
  // Runs to completion (for statements that return no rows) and resets.
  Status exec();
  // Steps through every row, calling fn() on each (it reads the columns of this statement). Stops
  // at the first error: SQLite's, or fn's when fn returns Status.
  template <class Fn>
  Status each_row(Fn&& fn) {
    for (;;) {
      auto row = step();
      if (!row) return std::unexpected(row.error());
      if (!*row) return {};
      if constexpr (std::is_void_v<std::invoke_result_t<Fn&>>) {
        fn();
      } else if (auto s = fn(); !s) {
        return s;
      }
    }
  }
  void reset();

  std::int64_t column_int(int i) const;
  double column_double(int i) const;
  std::string column_text(int i) const;
  bool column_is_null(int i) const;
  sqlite3_stmt* get() const { return m_stmt.get(); }

 private:
  std::unique_ptr<sqlite3_stmt, StmtFinalizer> m_stmt;
};

class Db {
 public:
  static Result<Db> open(const std::filesystem::path& path);

  Status exec(std::string_view sql);
  Result<Stmt> prepare(std::string_view sql);
  // A query returning one integer (e.g. COUNT(*)); 0 when no row.
  Result<std::int64_t> query_int(std::string_view sql);
  // The first column of every row, as integers (a SELECT, or a statement with RETURNING).
  Result<std::vector<std::int64_t>> query_ints(std::string_view sql);
  std::string errmsg() const;
  sqlite3* get() const { return m_db.get(); }

 private:
  std::unique_ptr<sqlite3, SqliteCloser> m_db;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() succeeded, so an
// error anywhere leaves the database exactly as it was.
class Transaction {
 public:
  static Result<Transaction> begin(Db& db);
  Transaction(Transaction&& o) noexcept : m_db(o.m_db) { o.m_db = nullptr; }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status commit();

 private:
  explicit Transaction(Db* db) : m_db(db) {}
  Db* m_db;
};

}  // namespace knowthy::store
