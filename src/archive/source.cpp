#include "archive/source.hpp"

#include <isa-l/igzip_lib.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace knowthy::archive {
namespace fs = std::filesystem;

const Entry* ArchiveSource::find(const std::string& name) const {
  for (const Entry& e : entries())
    if (e.name == name) return &e;
  return nullptr;
}

Result<std::string> ArchiveSource::read_all(const std::string& name) const {
  auto r = open(name);
  if (!r) return std::unexpected(r.error());
  std::string out;
  char buf[1 << 16];
  for (;;) {
    auto n = (*r)->read(buf, sizeof buf);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

namespace {

// The export's own files sit under data/; a re-zipped or extracted folder may add one top folder.
std::string find_prefix(const std::vector<std::string>& names) {
  for (const auto& n : names)
    if (n.starts_with("data/")) return {};
  for (const auto& n : names) {
    auto pos = n.find("/data/");
    if (pos != std::string::npos && n.find('/') == pos) return n.substr(0, pos + 1);
  }
  return {};
}

// ---- folder ----

class FileReader final : public EntryReader {
 public:
  FileReader(fs::path path) : m_path(std::move(path)), m_in(m_path, std::ios::binary) {}
  bool ok() const { return bool(m_in); }
  Result<size_t> read(char* buf, size_t n) override {
    m_in.read(buf, static_cast<std::streamsize>(n));
    if (m_in.bad()) return fail(m_path.string(), "read failed");
    return static_cast<size_t>(m_in.gcount());
  }

 private:
  fs::path m_path;
  std::ifstream m_in;
};

class DirSource final : public ArchiveSource {
 public:
  static Result<std::unique_ptr<ArchiveSource>> open_dir(const fs::path& root) {
    auto src = std::make_unique<DirSource>();
    std::vector<std::string> names;
    std::error_code ec;
    // Only the top level and data/ (one level deep under an extra folder) matter; media folders
    // are skipped rather than walked.
    for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      std::string rel = it->path().lexically_relative(root).generic_string();
      if (it->is_directory() && (rel.ends_with("_media") || rel.starts_with("assets") || it.depth() > 2)) {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file()) names.push_back(rel);
    }
    if (ec) return bad_input(root.string(), "cannot read folder: " + ec.message());
    std::string prefix = find_prefix(names);
    for (const auto& n : names) {
      if (!n.starts_with(prefix)) continue;
      Entry e;
      e.name = n.substr(prefix.size());
      e.size = e.stored = fs::file_size(root / n, ec);
      src->m_total += e.size;
      src->m_entries.push_back(std::move(e));
    }
    std::sort(src->m_entries.begin(), src->m_entries.end(), [](auto& a, auto& b) { return a.name < b.name; });
    src->m_root = root / prefix;
    return src;
  }
  const std::vector<Entry>& entries() const override { return m_entries; }
  std::uint64_t total_bytes() const override { return m_total; }
  Result<std::unique_ptr<EntryReader>> open(const std::string& name) const override {
    auto r = std::make_unique<FileReader>(m_root / name);
    if (!r->ok()) return bad_input((m_root / name).string(), std::string("cannot open: ") + std::strerror(errno));
    return r;
  }

 private:
  fs::path m_root;
  std::vector<Entry> m_entries;
  std::uint64_t m_total = 0;
};

// ---- zip ----

struct ZipCloser {
  void operator()(zip_t* z) const noexcept { zip_discard(z); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* f) const noexcept { zip_fclose(f); }
};

// Reads a zip entry's raw deflate stream through libzip and inflates it with ISA-L, which is
// several times faster than zlib; the CRC-32 from the central directory is checked at the end.
class ZipReader final : public EntryReader {
 public:
  ZipReader(std::string name, zip_file_t* f, bool deflated, std::uint32_t crc, std::uint64_t size)
      : m_name(std::move(name)), m_file(f), m_deflated(deflated), m_crc(crc), m_size(size) {
    isal_inflate_init(&m_state);
    m_state.crc_flag = ISAL_GZIP_NO_HDR;  // raw deflate, but keep a CRC-32 of the output
    m_in.resize(1 << 20);
  }

  Result<size_t> read(char* buf, size_t n) override {
    if (!m_deflated) {
      zip_int64_t got = zip_fread(m_file.get(), buf, n);
      if (got < 0) return corrupt(zip_error_strerror(zip_file_get_error(m_file.get())));
      m_produced += static_cast<std::uint64_t>(got);
      if (got == 0 && m_produced != m_size) return corrupt("entry is shorter than its directory says");
      return static_cast<size_t>(got);
    }
    if (m_done) return size_t{0};
    m_state.next_out = reinterpret_cast<uint8_t*>(buf);
    m_state.avail_out = static_cast<uint32_t>(std::min<size_t>(n, UINT32_MAX));
    while (m_state.avail_out > 0) {
      if (m_state.avail_in == 0 && !m_eof) {
        zip_int64_t got = zip_fread(m_file.get(), m_in.data(), m_in.size());
        if (got < 0) return corrupt(zip_error_strerror(zip_file_get_error(m_file.get())));
        if (got == 0) m_eof = true;
        m_state.next_in = reinterpret_cast<uint8_t*>(m_in.data());
        m_state.avail_in = static_cast<uint32_t>(got);
      }
      int rc = isal_inflate(&m_state);
      if (rc != ISAL_DECOMP_OK) return corrupt("invalid compressed data");
      if (m_state.block_state == ISAL_BLOCK_FINISH) {
        m_done = true;
        break;
      }
      if (m_eof && m_state.avail_in == 0) {
        size_t produced = n - m_state.avail_out;
        if (produced == 0) return corrupt("compressed data ends early (truncated archive?)");
        break;  // return what we have; the next call reports the truncation
      }
    }
    size_t produced = n - m_state.avail_out;
    m_produced += produced;
    if (m_done && (m_state.crc != m_crc || m_produced != m_size))
      return corrupt("checksum mismatch (the archive is damaged)");
    return produced;
  }

 private:
  std::unexpected<Error> corrupt(const std::string& why) const {
    return bad_input(m_name, why, "download the archive again; a damaged zip cannot be imported");
  }
  std::string m_name;
  std::unique_ptr<zip_file_t, ZipFileCloser> m_file;
  bool m_deflated;
  std::uint32_t m_crc;
  std::uint64_t m_size;
  std::uint64_t m_produced = 0;
  inflate_state m_state{};
  std::vector<char> m_in;
  bool m_eof = false;
  bool m_done = false;
};

class ZipSource final : public ArchiveSource {
 public:
  static Result<std::unique_ptr<ArchiveSource>> open_zip(const fs::path& path) {
    int err = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &err);
    if (!z) {
      zip_error_t ze;
      zip_error_init_with_code(&ze, err);
      std::string why = zip_error_strerror(&ze);
      zip_error_fini(&ze);
      return bad_input(path.string(), "not a readable zip archive (" + why + ")",
                       "pass the .zip that Twitter/X sent, or the folder it extracts to");
    }
    auto src = std::make_unique<ZipSource>();
    src->m_zip.reset(z);
    src->m_path = path;
    std::error_code ec;
    src->m_total = fs::file_size(path, ec);
    zip_int64_t count = zip_get_num_entries(z, 0);
    std::vector<std::string> names;
    for (zip_int64_t i = 0; i < count; ++i) {
      const char* nm = zip_get_name(z, static_cast<zip_uint64_t>(i), 0);
      names.push_back(nm ? nm : "");
    }
    std::string prefix = find_prefix(names);
    for (zip_int64_t i = 0; i < count; ++i) {
      const std::string& n = names[static_cast<size_t>(i)];
      if (n.empty() || n.back() == '/' || !n.starts_with(prefix)) continue;
      zip_stat_t st;
      if (zip_stat_index(z, static_cast<zip_uint64_t>(i), 0, &st) != 0) continue;
      Entry e{n.substr(prefix.size()), st.size, st.comp_size};
      src->m_index.push_back(static_cast<zip_uint64_t>(i));
      src->m_entries.push_back(std::move(e));
    }
    return src;
  }
  const std::vector<Entry>& entries() const override { return m_entries; }
  std::uint64_t total_bytes() const override { return m_total; }
  Result<std::unique_ptr<EntryReader>> open(const std::string& name) const override {
    for (size_t i = 0; i < m_entries.size(); ++i) {
      if (m_entries[i].name != name) continue;
      zip_stat_t st;
      zip_stat_index(m_zip.get(), m_index[i], 0, &st);
      std::string what = m_path.string() + ": " + name;
      if (st.encryption_method != ZIP_EM_NONE) return bad_input(what, "the entry is encrypted");
      bool deflated = st.comp_method == ZIP_CM_DEFLATE;
      if (!deflated && st.comp_method != ZIP_CM_STORE)
        return bad_input(what, "unsupported compression method " + std::to_string(st.comp_method));
      zip_file_t* f = zip_fopen_index(m_zip.get(), m_index[i], deflated ? ZIP_FL_COMPRESSED : 0);
      if (!f) return bad_input(what, std::string("cannot open: ") + zip_strerror(m_zip.get()));
      return std::make_unique<ZipReader>(what, f, deflated, st.crc, st.size);
    }
    return bad_input(m_path.string(), "no entry " + name);
  }

 private:
  std::unique_ptr<zip_t, ZipCloser> m_zip;
  fs::path m_path;
  std::vector<Entry> m_entries;
  std::vector<zip_uint64_t> m_index;
  std::uint64_t m_total = 0;
};

}  // namespace

Result<std::unique_ptr<ArchiveSource>> open_source(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return bad_input(path.string(), "no such file or folder");
  Result<std::unique_ptr<ArchiveSource>> src =
      fs::is_directory(path, ec) ? DirSource::open_dir(path) : ZipSource::open_zip(path);
  if (!src) return src;
  bool has_data = std::any_of((*src)->entries().begin(), (*src)->entries().end(),
                              [](const Entry& e) { return e.name.starts_with("data/"); });
  if (!has_data)
    return bad_input(path.string(), "no data/ folder: this does not look like a Twitter/X archive",
                     "pass the .zip from \"Download an archive of your data\", or the folder it extracts to");
  return src;
}

}  // namespace knowthy::archive
