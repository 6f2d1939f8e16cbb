#include "sample/sink.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <system_error>
#include <utility>

namespace knowthy::sample {
namespace {

namespace fs = std::filesystem;
using std::size_t;

constexpr size_t k_flush_bytes = 1 << 20;  // buffered output per zip write

}  // namespace

Sink::~Sink() {
  if (m_file) std::fclose(m_file);
  if (m_zip) archive_write_free(m_zip);
}

Status Sink::open_zip(const fs::path& file, int level, int64_t mtime) {
  m_mtime = mtime;
  m_zip = archive_write_new();
  if (!m_zip) return fail(file.string(), "cannot start the zip writer");
  std::string lvl = std::to_string(std::clamp(level, 1, 9));
  if (archive_write_set_format_zip(m_zip) != ARCHIVE_OK ||
      archive_write_set_format_option(m_zip, "zip", "compression", "deflate") != ARCHIVE_OK ||
      archive_write_set_format_option(m_zip, "zip", "compression-level", lvl.c_str()) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(m_zip, 1) != ARCHIVE_OK ||
      archive_write_open_filename(m_zip, file.c_str()) != ARCHIVE_OK)
    return zip_error(file.string());
  return {};
}

Status Sink::begin(std::string_view rel, int64_t size) {
  std::string name = m_root + std::string(rel);
  m_current = name;
  m_skipping = std::any_of(m_omit.begin(), m_omit.end(), [&](const std::string& o) {
    return rel == o || (rel.starts_with(o) && rel.size() > o.size() && rel[o.size()] == '/');
  });
  if (m_skipping) return {};
  if (m_zip) {
    ::archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_mtime(e, static_cast<time_t>(m_mtime), 0);
    if (size >= 0) archive_entry_set_size(e, size);
    int rc = archive_write_header(m_zip, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK) return zip_error(name);
    return {};
  }
  fs::path path = m_dir / name;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return fail(path.parent_path().string(), "cannot create folder: " + ec.message());
  m_file = std::fopen(path.c_str(), "wb");
  if (!m_file) return fail(path.string(), "cannot create file");
  return {};
}

Status Sink::write(std::string_view data) {
  if (m_skipping) return {};
  m_bytes += data.size();
  if (m_zip) {
    while (!data.empty()) {
      la_ssize_t n = archive_write_data(m_zip, data.data(), data.size());
      if (n <= 0) return zip_error(m_current);
      data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
  }
  if (std::fwrite(data.data(), 1, data.size(), m_file) != data.size()) return fail(m_current, "write failed");
  return {};
}

Status Sink::end() {
  if (m_skipping) {
    m_skipping = false;
    return {};
  }
  if (m_zip) {
    if (archive_write_finish_entry(m_zip) != ARCHIVE_OK) return zip_error(m_current);
    return {};
  }
  int rc = std::fclose(m_file);
  m_file = nullptr;
  if (rc != 0) return fail(m_current, "write failed");
  return {};
}

Status Sink::put(std::string_view rel, std::string_view data) {
  if (auto s = begin(rel, static_cast<int64_t>(data.size())); !s) return s;
  if (auto s = write(data); !s) return s;
  return end();
}

Status Sink::close() {
  if (!m_zip) return {};
  int rc = archive_write_close(m_zip);
  if (rc != ARCHIVE_OK) return zip_error("zip");
  return {};
}

Status Sink::zip_error(const std::string& what) {
  const char* why = m_zip ? archive_error_string(m_zip) : nullptr;
  return fail(what, why ? why : "zip write failed");
}

Status ArrayFile::open(std::string_view rel, std::string_view global_name) {
  m_count = 0;
  m_buf = "window." + std::string(global_name) + " = ";
  return m_sink.begin(rel, -1);
}

// Appends records already rendered and joined by separator().
Status ArrayFile::add(std::string_view rendered, uint64_t n) {
  if (n == 0) return {};
  m_buf += m_count ? separator() : (m_modern ? "[\n  " : "[ ");
  m_buf += rendered;
  m_count += n;
  if (m_buf.size() >= k_flush_bytes) return flush();
  return {};
}

Status ArrayFile::close() {
  m_buf += m_count ? (m_modern ? "\n]" : " ]") : "[ ]";
  if (auto s = flush(); !s) return s;
  return m_sink.end();
}

Status ArrayFile::flush() {
  Status s = m_sink.write(m_buf);
  m_buf.clear();
  return s;
}

}  // namespace knowthy::sample
