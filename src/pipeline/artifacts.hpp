#pragma once
// A batch's artifact folder, runs/batch_NNNNNN/, published all at once: its files are written in
// a hidden temp folder, which is renamed into place and then flushed to disk, before the caller
// commits the batch as done. A crash leaves either no folder or a complete one (plus temp
// leftovers that clean_runs_dir removes), and until the commit the batch is not done, so the next
// run removes whatever folder it has and does it again.
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace knowthy::pipeline {

// The files every done batch has.
const std::vector<std::string>& batch_files();

std::string batch_dir_name(std::int64_t batch_id);  // "batch_000042"
// The batch id a folder name stands for, or -1.
std::int64_t batch_id_of(const std::string& dir_name);

using FileList = std::vector<std::pair<std::string, std::string>>;  // name, content

// Writes `files` as runs/batch_NNNNNN/, replacing a folder of that name (a failed attempt's).
Status publish_batch_dir(const std::filesystem::path& runs, std::int64_t batch_id, const FileList& files);

// Removes runs/batch_NNNNNN/ if it is there.
Status remove_batch_dir(const std::filesystem::path& runs, std::int64_t batch_id);

// Removes temp folders that an interrupted publish left behind. Returns how many.
Result<int> clean_runs_dir(const std::filesystem::path& runs);

}  // namespace knowthy::pipeline
