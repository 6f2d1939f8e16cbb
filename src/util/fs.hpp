#pragma once
// Small filesystem helpers: durable writes (temp + fsync + rename) and whole-file reads.
#include <filesystem>
#include <functional>
#include <ios>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace knowthy::util {

// Writes `data` to `path` atomically: a temp file beside it, fsync, rename, fsync of the folder.
// The file gets `mode` (default 0600: everything knowthy writes may hold personal data).
Status write_file_atomic(const std::filesystem::path& path, std::string_view data, unsigned mode = 0600);

// Writes `data` to `path` (created or truncated) and flushes it to disk before returning; on error
// the file is removed. For files that a later rename of their folder publishes.
Status write_file_synced(const std::filesystem::path& path, std::string_view data, unsigned mode = 0600);

// Writes `data` to `path` (created or truncated) without flushing it; on error the file is removed.
Status write_file(const std::filesystem::path& path, std::string_view data, unsigned mode = 0600);

// Flushes everything written to the filesystem holding `path` (syncfs): one device flush for many
// files, where an fdatasync per file costs one each.
Status sync_filesystem(const std::filesystem::path& path);

// Flushes a folder's entries (a rename or a new file in it) to disk.
Status fsync_dir(const std::filesystem::path& dir);

// Makes `path` a second name of the already durable file `existing` (a hard link, put in place by
// rename), or, where links are not possible, an atomic copy of `data` (its content).
Status link_or_write_atomic(const std::filesystem::path& existing, const std::filesystem::path& path,
                            std::string_view data);

Result<std::string> read_file(const std::filesystem::path& path);

// Removes what an interrupted atomic write leaves under `root`: names ending in ".tmp",
// ".tmp.<pid>" or ".link.<pid>" (files, or folders with their contents). Only for a caller that
// knows no other process writes there (it holds the workspace lock). Folders for which `skip`
// says true are not entered. Returns what it removed.
std::vector<std::filesystem::path> remove_temp_files(const std::filesystem::path& root,
                                                     const std::function<bool(const std::filesystem::path&)>& skip);
// The last `bytes` of a (perhaps growing) file, and its last line without the newline; empty
// when it cannot be read.
std::string file_tail(const std::filesystem::path& path, std::streamoff bytes);
std::string last_line(const std::filesystem::path& path);

// Creates `dir` (and parents) if missing and sets its mode.
Status make_private_dir(const std::filesystem::path& dir, unsigned mode = 0700);

}  // namespace knowthy::util
