#include "train/train.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "knowledge/datasets.hpp"
#include "train/command_trainer.hpp"
#include "train/gguf_info.hpp"
#include "train/llama_opt.hpp"
#include "train/manifest.hpp"
#include "train/promote.hpp"
#include "util/crash_point.hpp"
#include "util/fs.hpp"
#include "util/hash.hpp"
#include "util/progress.hpp"
#include "util/supervise.hpp"
#include "util/text.hpp"

namespace knowthy::train {

namespace fs = std::filesystem;
using nlohmann::json;

json candidate_json(const store::CandidateRow& c) {
  json j{{"name", c.name},
         {"state", store::to_string(c.state)},
         {"created_at", c.created_at},
         {"updated_at", c.updated_at},
         {"trainer", c.trainer},
         {"parent", c.parent},
         {"base_model", c.base_path}};
  if (c.trained_at) j["trained_at"] = *c.trained_at;
  if (c.output) j["output"] = *c.output;
  if (c.output_kind) j["output_kind"] = *c.output_kind;
  if (c.reason) j["reason"] = *c.reason;
  if (c.state == store::CandidateState::training) j["trainer_pid"] = c.trainer_process.pid;
  return j;
}

json TrainReport::to_json() const {
  json j{{"gate", opened ? "open" : "closed"},
         {"forced", forced},
         {"new_clean_pairs", counts.clean_train_pairs},
         {"min_new_pairs", min_pairs},
         {"new_done_batches", counts.done_batches},
         {"min_new_batches", min_batches},
         {"last_candidate", last_candidate ? json(*last_candidate) : json(nullptr)},
         {"recovered", recovered}};
  if (!opened) j["reason"] = closed_reason;
  if (blocking) j["blocking"] = candidate_json(*blocking);
  if (candidate) {
    j["candidate"] = candidate_json(*candidate);
    j["candidate"]["dir"] = dir.string();
  }
  if (!metrics.is_null()) j["metrics"] = metrics;
  return j;
}

Result<std::vector<std::string>> recover_stale_candidates(store::Db& db, std::chrono::milliseconds grace) {
  auto rows = store::list_candidates(db);
  if (!rows) return std::unexpected(rows.error());
  std::vector<std::string> out;
  for (const auto& c : *rows) {
    if (c.state != store::CandidateState::training || util::process_alive(c.owner)) continue;
    if (c.trainer_process.pid > 0 && util::process_alive(c.trainer_process))
      util::stop_process_group(c.trainer_process.pid, grace);
    auto s = store::mark_train_failed(
        db, c.id, fmt::format("trainer died: the knowthy process that ran it (pid {}) is gone", c.owner.pid));
    if (!s) return std::unexpected(s.error());
    out.push_back(c.name);
  }
  return out;
}

Result<std::vector<store::CandidateRow>> list_candidates_recovered(store::Db& db, std::chrono::milliseconds grace) {
  if (auto r = recover_stale_candidates(db, grace); !r) return std::unexpected(r.error());
  return store::list_candidates(db);
}

namespace {

const std::array<std::pair<const char*, const char*>, 4> k_frozen{{{"dpo_train", "dpo.train.jsonl"},
                                                                   {"dpo_heldout", "dpo.heldout.jsonl"},
                                                                   {"sft_train", "sft.train.jsonl"},
                                                                   {"sft_heldout", "sft.heldout.jsonl"}}};

std::int64_t count_lines(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::int64_t lines = 0;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0)
    for (std::streamsize i = 0; i < in.gcount(); ++i) lines += buf[i] == '\n';
  return lines;
}

// A dataset file as the candidate keeps it: a hard link (the datasets step replaces files by
// rename, so the link keeps these bytes), or a copy where links are not possible.
Result<FrozenFile> freeze(const fs::path& src, const fs::path& dst, const char* role) {
  std::error_code ec;
  if (!fs::is_regular_file(src, ec))
    return fail(src.string(), "is missing", "run `knowthy datasets` (or `knowthy train` without --no-datasets)");
  fs::create_hard_link(src, dst, ec);
  if (ec) {
    ec.clear();
    fs::copy_file(src, dst, fs::copy_options::overwrite_existing, ec);
    if (ec) return fail(dst.string(), "cannot be written: " + ec.message());
  }
  auto digest = util::sha256_file(dst);
  if (!digest) return std::unexpected(digest.error());
  return FrozenFile{role, fs::absolute(dst), digest->sha256, digest->bytes, count_lines(dst)};
}

// The line of a failed trainer's log that says most: the last that names an assert or an error
// (an abort's backtrace follows it), else the last line.
std::string telling_log_line(const fs::path& log) {
  const std::string tail = util::file_tail(log, 16384);
  std::string last, error, assert_line;
  std::istringstream in(tail);
  for (std::string line; std::getline(in, line);) {
    // knowthy's own lines, and a debugger's backtrace after an abort (frames, thread notes).
    if (line.empty() || line.starts_with("knowthy: ") || line.starts_with("#") || line.starts_with("[") ||
        line.starts_with("0x") || line.starts_with("Using host") ||
        (line[0] >= '0' && line[0] <= '9' && line.find('\t') != std::string::npos))
      continue;
    last = line;
    if (line.find("GGML_ASSERT") != std::string::npos || line.find("GGML_ABORT") != std::string::npos)
      assert_line = line;
    else if (line.find("rror") != std::string::npos || line.find("failed") != std::string::npos)
      error = line;
  }
  std::string out = !assert_line.empty() ? assert_line : !error.empty() ? error : last;
  if (out.size() > 600) out = out.substr(0, 600) + "...";
  return out;
}

std::optional<long long> field(const std::string& line, const std::string& key) {
  const auto p = line.find(" " + key + "=");
  if (p == std::string::npos) return std::nullopt;
  return std::strtoll(line.c_str() + p + key.size() + 2, nullptr, 10);
}

// The trainer's progress on a terminal: llama-opt's "progress ..." lines as a bar with the loss,
// any other trainer's last log line with the elapsed time.
class TrainProgress {
 public:
  TrainProgress(fs::path log, bool enabled, std::string label)
      : m_log(std::move(log)),
        m_enabled(enabled && ::isatty(2)),
        m_label(std::move(label)),
        m_start(std::chrono::steady_clock::now()) {}
  ~TrainProgress() { finish(); }
  void tick() {
    if (!m_enabled) return;
    const std::string line = util::last_line(m_log);
    if (line.starts_with("progress ")) {
      const auto epoch = field(line, "epoch"), step = field(line, "step");
      const auto slash = line.find('/', line.find(" step="));
      const long long steps = slash == std::string::npos ? 0 : std::strtoll(line.c_str() + slash + 1, nullptr, 10);
      const auto epochs_at = line.find('/', line.find(" epoch="));
      const long long epochs =
          epochs_at == std::string::npos ? 1 : std::strtoll(line.c_str() + epochs_at + 1, nullptr, 10);
      const auto loss_at = line.find(" loss=");
      const std::string phase = line.substr(15, line.find(' ', 15) - 15);
      if (epoch && step && steps > 0 && phase == "train") {
        if (!m_bar) m_bar.emplace(m_label, static_cast<std::uint64_t>(steps * std::max(1LL, epochs)), "steps");
        m_bar->set_detail(fmt::format("epoch {}/{}, loss {}", *epoch, epochs,
                                      loss_at == std::string::npos ? "?" : line.substr(loss_at + 6)));
        m_bar->update(static_cast<std::uint64_t>((*epoch - 1) * steps + *step));
        return;
      }
    }
    if (m_bar) return;  // evaluation passes between epochs: keep the bar
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - m_start);
    std::string shown = line.size() > 70 ? line.substr(0, 70) + "..." : line;
    std::fprintf(stderr, "\r\033[K%s %lldm%02llds  %s", m_label.c_str(), static_cast<long long>(secs.count() / 60),
                 static_cast<long long>(secs.count() % 60), shown.c_str());
    m_drawn = true;
  }
  void finish() {
    if (m_bar) m_bar->finish();
    m_bar.reset();
    if (m_drawn) std::fprintf(stderr, "\r\033[K");
    m_drawn = false;
  }

 private:
  fs::path m_log;
  bool m_enabled;
  std::string m_label;
  std::chrono::steady_clock::time_point m_start;
  std::optional<util::Progress> m_bar;
  bool m_drawn = false;
};

// The GGUF a trainer left in its output folder: one adapter, or else one model.
Result<std::pair<fs::path, GgufKind>> find_output(const fs::path& out) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(out, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file() && it->path().extension() == ".gguf") files.push_back(it->path());
  if (files.empty()) return fail(out.string(), "the trainer exited 0 but left no .gguf file here");
  std::sort(files.begin(), files.end());
  std::vector<fs::path> models, adapters;
  std::string rejected;
  for (const auto& f : files) {
    auto info = read_gguf_info(f);
    auto kind = info ? gguf_kind(*info, f) : Result<GgufKind>(std::unexpected(info.error()));
    if (!kind) {
      rejected = kind.error().what + " " + kind.error().why;
      continue;
    }
    (*kind == GgufKind::adapter ? adapters : models).push_back(f);
  }
  if (adapters.size() == 1) return std::pair{adapters[0], GgufKind::adapter};
  if (adapters.empty() && models.size() == 1) return std::pair{models[0], GgufKind::model};
  if (adapters.empty() && models.empty()) return fail(out.string(), "no usable GGUF: " + rejected);
  return fail(out.string(), fmt::format("{} adapters and {} models here: the trainer must leave one", adapters.size(),
                                        models.size()));
}

}  // namespace

Result<TrainReport> run_train(store::Workspace& ws, const store::Config& cfg, const TrainRequest& req) {
  store::Db& db = ws.db();
  TrainReport rep;
  rep.forced = req.force;
  rep.min_pairs = cfg.train.min_new_pairs;
  rep.min_batches = cfg.train.min_new_batches;
  const auto grace = std::chrono::seconds(cfg.train.stop_grace_s);
  auto recovered = recover_stale_candidates(db, grace);
  if (!recovered) return std::unexpected(recovered.error());
  rep.recovered = std::move(*recovered);

  if (req.rebuild_datasets)
    if (auto d = knowledge::run_datasets(ws, cfg, knowledge::DpoFormat::conversational); !d)
      return std::unexpected(d.error());

  auto last = store::last_candidate(db);
  if (!last) return std::unexpected(last.error());
  if (*last) rep.last_candidate = (*last)->name;
  auto counts = store::count_new_since(db, *last ? std::optional((*last)->id) : std::nullopt);
  if (!counts) return std::unexpected(counts.error());
  rep.counts = *counts;

  auto blocking = store::blocking_candidate(db);
  if (!blocking) return std::unexpected(blocking.error());
  if (*blocking) {
    rep.blocking = **blocking;
    rep.closed_reason =
        (*blocking)->state == store::CandidateState::training
            ? fmt::format("{} is still training (pid {})", (*blocking)->name, (*blocking)->trainer_process.pid)
            : fmt::format("{} is awaiting evaluation: evaluate it first (`knowthy eval`)", (*blocking)->name);
    return rep;
  }
  // Nothing to train on (every pair flagged or held out, no clean example): no candidate, --force or not.
  std::int64_t train_records = 0;
  for (const char* f : {"dpo.train.jsonl", "sft.train.jsonl"}) train_records += count_lines(ws.dir() / "datasets" / f);
  if (train_records == 0) {
    rep.closed_reason =
        "nothing to train on: the train split has no clean DPO pair and no clean SFT example (`knowthy datasets` "
        "shows what was flagged)";
    return rep;
  }
  const bool enough = rep.counts.clean_train_pairs >= rep.min_pairs || rep.counts.done_batches >= rep.min_batches;
  if (!enough && !req.force) {
    rep.closed_reason =
        fmt::format("{} new clean DPO train pairs of {} and {} new done batches of {} since {} (--force trains anyway)",
                    rep.counts.clean_train_pairs, rep.min_pairs, rep.counts.done_batches, rep.min_batches,
                    rep.last_candidate ? *rep.last_candidate : std::string("the start"));
    return rep;
  }

  // The model it starts from: the active model when it is a whole model ([model] use_active), else
  // the configured one (an active adapter's base: trainers make a new adapter over it, from the
  // whole train split, which holds every pair so far).
  std::string starts_from = "base";
  fs::path base = cfg.model.path;
  if (cfg.model.use_active) {
    auto active = active_model(ws, cfg);
    if (!active) return std::unexpected(active.error());
    if (active->name != "base") {
      starts_from = active->name;
      base = active->path;
    }
  }
  if (base.empty())
    return bad_input("train", "no model file to train from",
                     "set [model] path to the GGUF model that training starts from (also with other backends)");
  std::error_code ec;
  if (!fs::is_regular_file(base, ec)) return bad_input(base.string(), "no such model file", "check [model] path");
  LlamaOptSettings opt{.epochs = cfg.train.epochs,
                       .learning_rate = cfg.train.learning_rate,
                       .weight_decay = cfg.train.weight_decay,
                       .optimizer = cfg.train.optimizer,
                       .context = cfg.train.context,
                       .batch = cfg.train.batch,
                       .ubatch = cfg.train.ubatch,
                       .tensors = cfg.train.tensors,
                       .threads = cfg.train.threads,
                       .gpu_layers = cfg.model.gpu_layers,
                       .method = cfg.train.method,
                       .lora_rank = cfg.train.lora_rank,
                       .lora_alpha = cfg.train.lora_alpha,
                       .lora_targets = cfg.train.lora_targets,
                       .objective = cfg.train.objective,
                       .dpo_beta = cfg.train.dpo_beta,
                       .rpo_alpha = cfg.train.rpo_alpha};
  if (cfg.train.trainer == "llama-opt")
    if (auto e = check_llama_opt(base, opt, cfg.train.memory_limit_mb); !e) return std::unexpected(e.error());

  // The candidate: its folder and frozen data first, then its row, so a row always has its folder.
  auto id = store::next_candidate_id(db);
  if (!id) return std::unexpected(id.error());
  Manifest m;
  m.id = *id;
  m.name = store::candidate_name(*id);
  m.created_at = util::now_iso();
  m.knowthy_version = req.knowthy_version;
  m.trainer = cfg.train.trainer;
  m.starts_from = starts_from;
  m.llama_opt = opt;
  m.shell = cfg.train.shell;
  const fs::path dir = fs::absolute(ws.dir() / "models" / m.name);
  rep.dir = dir;
  fs::remove_all(dir, ec);  // a folder left by a crash before its row was written
  for (const fs::path& d : {ws.dir() / "models", dir, dir / "data", dir / "output"})
    if (auto s = util::make_private_dir(d); !s) return std::unexpected(s.error());
  m.output_dir = dir / "output";
  for (const auto& [role, file] : k_frozen) {
    auto f = freeze(ws.dir() / "datasets" / file, dir / "data" / file, role);
    if (!f) return std::unexpected(f.error());
    m.datasets.push_back(std::move(*f));
  }
  auto digest = util::sha256_file(base);
  if (!digest) return std::unexpected(digest.error());
  m.base_model = fs::absolute(base);
  m.base_sha256 = digest->sha256;
  m.base_bytes = digest->bytes;
  auto covered = store::dataset_coverage(db);
  if (!covered) return std::unexpected(covered.error());
  for (const auto& b : *covered)
    (b.split == "train"     ? m.batches_train
     : b.split == "heldout" ? m.batches_heldout
                            : m.batches_flagged)
        .push_back(b.batch_id);
  m.gate = {{"forced", req.force},
            {"new_clean_pairs", rep.counts.clean_train_pairs},
            {"min_new_pairs", rep.min_pairs},
            {"new_done_batches", rep.counts.done_batches},
            {"min_new_batches", rep.min_batches}};
  const Placeholders ph{m.base_model.string(),
                        m.dataset("dpo_train")->path.string(),
                        m.dataset("dpo_heldout")->path.string(),
                        m.dataset("sft_train")->path.string(),
                        m.output_dir.string(),
                        (dir / "manifest.json").string()};
  std::vector<std::string> argv;
  if (m.trainer == "command") {
    auto a = expand_command(cfg.train.command, cfg.train.shell, ph);
    if (!a) return std::unexpected(a.error());
    argv = *a;
    m.command = argv;
  } else if (m.trainer == "llama-opt") {
    argv = {req.self_exe.string(), "train-child", dir.string()};
  }
  if (auto s = write_manifest(dir / "manifest.json", m); !s) return std::unexpected(s.error());

  const bool trains = m.trainer != "none";
  const util::ProcessId self = util::self_process();
  if (auto s =
          store::insert_candidate(db, *id,
                                  {.state = trains ? store::CandidateState::training : store::CandidateState::ready,
                                   .trainer = m.trainer,
                                   .parent = m.starts_from,
                                   .base_path = m.base_model.string(),
                                   .base_sha256 = m.base_sha256,
                                   .owner = trains ? self : util::ProcessId{}},
                                  *covered);
      !s)
    return std::unexpected(s.error());
  rep.opened = true;

  if (trains) {
    const fs::path log = dir / "train.log";
    util::CancelOnSignal cancel;
    auto child = util::spawn_logged({.argv = argv, .log = log, .out = {}, .env = {}});
    if (!child) {
      (void)store::mark_train_failed(db, *id, child.error().why);
      return std::unexpected(child.error());
    }
    if (auto s = store::mark_training(db, *id, self, *child); !s) return std::unexpected(s.error());
    TrainProgress progress(log, req.progress, "training " + m.name);
    const auto timeout = std::chrono::milliseconds(static_cast<long long>(cfg.train.max_minutes * 60000));
    const util::Finish f = util::wait_supervised(*child, {.timeout = timeout,
                                                          .grace = grace,
                                                          .tick =
                                                              [&] {
                                                                util::crash_point("train-wait");
                                                                progress.tick();
                                                              },
                                                          .cancel = &util::CancelOnSignal::flag()});
    progress.finish();
    std::string failure;
    if (f.exit_code != 0 || f.cancelled || f.timed_out) {
      failure = util::describe_finish(f, "the trainer",
                                      fmt::format("{} minutes ([train] max_minutes)", cfg.train.max_minutes));
      if (const std::string line = telling_log_line(log); !line.empty()) failure += "; its log says: " + line;
    } else if (auto out = find_output(m.output_dir); !out) {
      failure = out.error().why + " (" + out.error().what + ")";
    } else {
      const std::string rel = fs::relative(out->first, dir).string();
      util::append_log(log, fmt::format("trained: {} ({})", rel, to_string(out->second)));
      if (auto s = store::mark_trained(db, *id, rel, std::string(to_string(out->second))); !s)
        return std::unexpected(s.error());
    }
    if (!failure.empty()) {
      util::append_log(log, "train_failed: " + failure);
      if (auto s = store::mark_train_failed(db, *id, failure); !s) return std::unexpected(s.error());
    }
    if (m.trainer == "llama-opt")
      if (auto text = util::read_file(dir / "metrics.json"))
        if (auto j = json::parse(*text, nullptr, false); !j.is_discarded()) rep.metrics = std::move(j);
  }
  auto row = store::find_candidate(db, *id);
  if (!row) return std::unexpected(row.error());
  rep.candidate = **row;
  return rep;
}

}  // namespace knowthy::train
