#pragma once
// Test helpers: temporary folders and running the real knowthy binary.
#include <httplib.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace knowthy::test {

// A fresh folder under the system temp dir (outside any git work tree), removed afterwards.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& s) const { return m_path / s; }

 private:
  std::filesystem::path m_path;
};

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs build/knowthy with `args` (no shell), capturing stdout and stderr; `env` adds
// NAME=value variables to its environment. A run killed by a signal exits 128 + the signal.
RunResult run_knowthy(const std::vector<std::string>& args,
                      const std::vector<std::pair<std::string, std::string>>& env = {});

// Any program (argv[0] looked up on PATH), the same way.
RunResult run_command(const std::vector<std::string>& argv);
// The same, under a file size limit (as `ulimit -f`): writes past `bytes` fail with EFBIG, as on a
// full disk.
RunResult run_knowthy_with_file_limit(const std::vector<std::string>& args, std::uint64_t bytes);
// Starts build/knowthy in the background (output discarded); wait_exit() reaps it and returns
// its exit code (128 + signal when killed).
int spawn_knowthy(const std::vector<std::string>& args,
                  const std::vector<std::pair<std::string, std::string>>& env = {});
int wait_exit(int pid);
// The same, with stdout and stderr written to these files.
int spawn_knowthy_to(const std::vector<std::string>& args, const std::filesystem::path& out,
                     const std::filesystem::path& err);

// A real llama-server (built from the same llama.cpp) on a free loopback port, stopped when
// destroyed. start() returns null, with the server's log in `error`, when it does not come up.
class LlamaServer {
 public:
  static std::unique_ptr<LlamaServer> start(const std::string& model, int context, int parallel, std::string& error);
  ~LlamaServer();
  int port() const { return m_port; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
  // kill -9 the server (a crash); restart() starts it again on the same port and waits for it.
  void kill9();
  bool restart(std::string& error);

 private:
  LlamaServer() = default;
  bool launch(std::string& error);
  std::unique_ptr<TempDir> m_dir;
  std::string m_model;
  int m_context = 0, m_parallel = 1;
  int m_port = 0;
  int m_pid = -1;
};

// An HTTP server on a free loopback port, in a thread, answering every POST with `handler`
// (a stand-in for an OpenAI-compatible server).
class FakeHttpServer {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  // `get` answers GETs (none: 404).
  explicit FakeHttpServer(Handler handler, Handler get = {});
  ~FakeHttpServer();
  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
  int m_port = 0;
};

// The sample model and engine threads that tests driving a model use. scripts/sweep.sh sets
// KNOWTHY_TEST_MODEL_SEED (the random weights: another seed is another model) and
// KNOWTHY_TEST_THREADS (another summation order, as another CPU would give); defaults 1 and 1.
std::uint64_t model_seed();
int engine_threads();
// Writes the sample model of model_seed() to `path` (what `knowthy sample-model --seed` writes).
void write_model(const std::filesystem::path& path);
// "--seed N" for `knowthy sample-model`, and "threads = N" for a [model] section.
// A command backend's answer script (python3, reads the conversation on stdin) that gives every
// batch valid JSON citing its first tweets; the critique names a claim the draft gets wrong, so
// chosen and rejected differ the same way in every pair (datasets that do not depend on a model).
extern const char* const k_scripted_answer_py;

// A LoRA adapter for the sample model (64 wide): rank 4 on blk.0.attn_q.weight, as
// convert_lora_to_gguf.py lays it out (A: [in, rank], B: [rank, out]).
void write_lora(const std::filesystem::path& path);
std::vector<std::string> sample_model_args(const std::filesystem::path& path);
std::string threads_setting();

std::string read_text(const std::filesystem::path& p);

// Sets TZ (a POSIX rule such as "CET-1CEST,M3.5.0,M10.5.0/3": no time zone database needed) for
// its lifetime.
class ScopedTz {
 public:
  explicit ScopedTz(const char* tz);
  ~ScopedTz();
  ScopedTz(const ScopedTz&) = delete;
  ScopedTz& operator=(const ScopedTz&) = delete;

 private:
  std::string m_old;
  bool m_had = false;
};
void write_text(const std::filesystem::path& p, const std::string& s);

}  // namespace knowthy::test
