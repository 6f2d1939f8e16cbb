#include "support/support.hpp"

#include "sample/model.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ggml.h>
#include <gguf.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace knowthy::test {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "knowthy-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  m_path = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(m_path, ec);
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << s;
}

namespace {

// Forks and execs build/knowthy with stdout and stderr on the given paths (or /dev/null).
// Forks and execs `program` (looked up on PATH) with stdout and stderr on the given paths.
pid_t start_process(const std::string& program, const std::vector<std::string>& args,
                    const std::vector<std::pair<std::string, std::string>>& env, const fs::path& out,
                    const fs::path& err, std::uint64_t file_size_limit = 0) {
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (file_size_limit > 0) {
      const struct rlimit lim { file_size_limit, file_size_limit };
      ::setrlimit(RLIMIT_FSIZE, &lim);
    }
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::dup2(in, 0);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    std::string bin = program;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp(bin.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

pid_t start_knowthy(const std::vector<std::string>& args, const std::vector<std::pair<std::string, std::string>>& env,
                    const fs::path& out, const fs::path& err, std::uint64_t file_size_limit = 0) {
  return start_process(KNOWTHY_BIN, args, env, out, err, file_size_limit);
}

}  // namespace

RunResult run_knowthy(const std::vector<std::string>& args,
                      const std::vector<std::pair<std::string, std::string>>& env) {
  // Output goes through temp files: simple, and no pipe deadlock on large output.
  TempDir tmp;
  fs::path out = tmp / "out", err = tmp / "err";
  RunResult r;
  r.exit_code = wait_exit(start_knowthy(args, env, out, err));
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

RunResult run_command(const std::vector<std::string>& argv) {
  TempDir tmp;
  fs::path out = tmp / "out", err = tmp / "err";
  RunResult r;
  r.exit_code = wait_exit(start_process(argv.at(0), {argv.begin() + 1, argv.end()}, {}, out, err));
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

RunResult run_knowthy_with_file_limit(const std::vector<std::string>& args, std::uint64_t bytes) {
  TempDir tmp;
  fs::path out = tmp / "out", err = tmp / "err";
  RunResult r;
  r.exit_code = wait_exit(start_knowthy(args, {}, out, err, bytes));
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

int spawn_knowthy(const std::vector<std::string>& args, const std::vector<std::pair<std::string, std::string>>& env) {
  return start_knowthy(args, env, "/dev/null", "/dev/null");
}

int spawn_knowthy_to(const std::vector<std::string>& args, const fs::path& out, const fs::path& err) {
  return start_knowthy(args, {}, out.string(), err.string());
}

int wait_exit(int pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

namespace {

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

std::unique_ptr<LlamaServer> LlamaServer::start(const std::string& model, int context, int parallel,
                                                std::string& error) {
  std::unique_ptr<LlamaServer> s(new LlamaServer());
  s->m_dir = std::make_unique<TempDir>();
  s->m_port = free_port();
  s->m_model = model;
  s->m_context = context;
  s->m_parallel = parallel;
  if (!s->launch(error)) return nullptr;
  return s;
}

bool LlamaServer::launch(std::string& error) {
  const std::string log = (*m_dir / "server.log").string();
  m_pid = ::fork();
  if (m_pid == 0) {
    std::freopen(log.c_str(), "w", stdout);
    std::freopen(log.c_str(), "a", stderr);
    const std::string port = std::to_string(m_port), ctx = std::to_string(m_context * m_parallel),
                      np = std::to_string(m_parallel), threads = std::to_string(engine_threads());
    ::execl(KNOWTHY_LLAMA_SERVER, "llama-server", "-m", m_model.c_str(), "--host", "127.0.0.1", "--port", port.c_str(),
            "-c", ctx.c_str(), "-np", np.c_str(), "-t", threads.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  httplib::Client cli("127.0.0.1", m_port);
  for (int i = 0; i < 300; ++i) {
    if (auto r = cli.Get("/health"); r && r->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  error = "llama-server did not start: " + read_text(log);
  return false;
}

void LlamaServer::kill9() {
  if (m_pid <= 0) return;
  ::kill(m_pid, SIGKILL);
  ::waitpid(m_pid, nullptr, 0);
  m_pid = -1;
}

bool LlamaServer::restart(std::string& error) {
  kill9();
  return launch(error);
}

LlamaServer::~LlamaServer() {
  if (m_pid > 0) {
    ::kill(m_pid, SIGTERM);
    ::waitpid(m_pid, nullptr, 0);
  }
}

namespace {
long env_number(const char* name, long fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (*end || n < 1) throw std::runtime_error(std::string(name) + " must be a positive number");
  return n;
}
}  // namespace

std::uint64_t model_seed() { return static_cast<std::uint64_t>(env_number("KNOWTHY_TEST_MODEL_SEED", 1)); }
int engine_threads() { return static_cast<int>(env_number("KNOWTHY_TEST_THREADS", 1)); }

const char* const k_scripted_answer_py = R"(import sys, re, json
text = sys.stdin.read()
ids = re.findall(r'^\[(\d+)\]', text, re.M)
critique = text.count('### assistant:') > 1
claim = "Ada likes strong coffee in the morning." if critique else "Ada drinks green tea all day, it seems."
ans = {"notes_markdown": "Ada writes about " + ("coffee and running" if critique else "tea and walking, maybe"),
       "knowledge_candidates": [{"category": "preference", "claim": claim, "evidence_tweet_ids": ids[:2], "confidence": 0.7}],
       "training_examples": [{"prompt": "What do you drink?", "response": "Coffee, strong." if critique else "Tea.", "evidence_tweet_ids": ids[:1]}],
       "rubric_scores": {"grounding": 4, "specificity": 3, "source_distinction": 4, "coverage": 3}}
print(json.dumps(ans))
)";

void write_lora(const fs::path& path) {
  gguf_context* g = gguf_init_empty();
  gguf_set_val_str(g, "general.type", "adapter");
  gguf_set_val_str(g, "general.architecture", "llama");
  gguf_set_val_str(g, "adapter.type", "lora");
  gguf_set_val_f32(g, "adapter.lora.alpha", 8.0f);
  ggml_init_params gp{1 << 20, nullptr, false};
  ggml_context* ctx = ggml_init(gp);
  ggml_tensor* a = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, 64, 4);
  ggml_tensor* b = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, 4, 64);
  ggml_set_name(a, "blk.0.attn_q.weight.lora_a");
  ggml_set_name(b, "blk.0.attn_q.weight.lora_b");
  for (ggml_tensor* t : {a, b}) {
    auto* d = static_cast<float*>(t->data);
    for (int64_t i = 0; i < ggml_nelements(t); ++i) d[i] = 0.01f * static_cast<float>(i % 7);
    gguf_add_tensor(g, t);
  }
  if (!gguf_write_to_file(g, path.c_str(), false)) throw std::runtime_error("cannot write " + path.string());
  ggml_free(ctx);
  gguf_free(g);
}

void write_model(const fs::path& path) {
  sample::SampleModelOptions o;
  o.seed = model_seed();
  if (auto r = sample::write_sample_model(path, o); !r) throw std::runtime_error("sample model: " + r.error().why);
}

std::vector<std::string> sample_model_args(const fs::path& path) {
  return {"sample-model", path.string(), "--seed", std::to_string(model_seed())};
}

std::string threads_setting() { return "threads = " + std::to_string(engine_threads()) + "\n"; }

struct FakeHttpServer::Impl {
  httplib::Server server;
  std::thread thread;
};

FakeHttpServer::FakeHttpServer(Handler handler, Handler get) : m_impl(std::make_unique<Impl>()) {
  m_impl->server.Post(".*", std::move(handler));
  if (get) m_impl->server.Get(".*", std::move(get));
  m_port = m_impl->server.bind_to_any_port("127.0.0.1");
  m_impl->thread = std::thread([this] { m_impl->server.listen_after_bind(); });
  while (!m_impl->server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeHttpServer::~FakeHttpServer() {
  m_impl->server.stop();
  m_impl->thread.join();
}

ScopedTz::ScopedTz(const char* tz) {
  if (const char* old = std::getenv("TZ")) {
    m_old = old;
    m_had = true;
  }
  ::setenv("TZ", tz, 1);
  ::tzset();
}

ScopedTz::~ScopedTz() {
  if (m_had)
    ::setenv("TZ", m_old.c_str(), 1);
  else
    ::unsetenv("TZ");
  ::tzset();
}

}  // namespace knowthy::test
