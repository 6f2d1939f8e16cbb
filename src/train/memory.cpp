#include "train/memory.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace knowthy::train {

namespace {

std::optional<std::uint64_t> read_number(const std::string& path) {
  std::ifstream f(path);
  std::string s;
  if (!f || !(f >> s) || s == "max") return std::nullopt;
  return std::strtoull(s.c_str(), nullptr, 10);
}

std::optional<std::uint64_t> mem_available() {
  std::ifstream f("/proc/meminfo");
  std::string line;
  while (std::getline(f, line))
    if (line.starts_with("MemAvailable:")) {
      std::istringstream in(line.substr(13));
      std::uint64_t kib = 0;
      in >> kib;
      return kib * 1024;
    }
  return std::nullopt;
}

}  // namespace

TensorFilter::TensorFilter(const std::string& pattern) {
  if (pattern.empty()) return;
  try {
    m_re.emplace(pattern);
  } catch (const std::regex_error&) {
    m_valid = false;
  }
}

bool TensorFilter::matches(const char* name) const {
  if (!m_valid) return false;
  return !m_re || std::regex_search(name, *m_re);
}

MemoryEstimate estimate_training_memory(const GgufInfo& m, const LlamaOptSettings& s, std::uint64_t lora_parameters) {
  MemoryEstimate e;
  const TensorFilter filter(s.tensors);
  for (const auto& t : m.tensors) {
    e.weights += t.bytes;
    if (!s.lora() && filter.trains(t.name)) e.trainable += t.bytes;
  }
  if (s.lora()) {
    e.trainable = lora_parameters * 4;
    e.weights += e.trainable;
  }
  // Gradients, plus AdamW's first and second moments: with the weights, 4x the trained tensors.
  e.optimizer = e.trainable * (s.optimizer == "sgd" ? 1 : 3);
  // llama.cpp pads the context to a multiple of 256.
  const std::uint64_t ctx = (static_cast<std::uint64_t>(s.context) + 255) / 256 * 256;
  const std::uint64_t ub = static_cast<std::uint64_t>(s.ubatch);
  const std::uint64_t embd = static_cast<std::uint64_t>(m.n_embd), ff = static_cast<std::uint64_t>(m.n_ff);
  const std::uint64_t layers = static_cast<std::uint64_t>(m.n_layer), heads = static_cast<std::uint64_t>(m.n_head);
  const std::uint64_t kv_embd = m.n_head > 0 ? embd * static_cast<std::uint64_t>(m.n_head_kv) / heads : embd;
  const std::uint64_t vocab = static_cast<std::uint64_t>(m.n_vocab);
  // Per layer and token: the residual stream, norms, q/k/v/out and three feed-forward products
  // (about 12 vectors of n_embd and 4 of n_ff), and the attention scores before and after softmax;
  // all kept for the backward pass, which makes as many gradients again. F32 throughout.
  const std::uint64_t per_layer = ub * (12 * embd + 4 * ff) + 2 * heads * ub * ctx;
  const std::uint64_t kv_cache = 2 * layers * ctx * kv_embd;
  // Training: logits, softmax, their gradient, the labels; scoring a row (DPO): a batch's logits.
  const std::uint64_t logits = 4 * ub * vocab + static_cast<std::uint64_t>(s.batch) * vocab;
  e.activations = 4 * (2 * layers * per_layer + kv_cache + logits);
  // Compute buffers are planned with slack and ggml keeps graph metadata: 10% on top.
  e.total = (e.weights + e.optimizer + e.activations) * 11 / 10;
  return e;
}

AvailableMemory available_memory(int limit_mb) {
  if (limit_mb > 0) return {static_cast<std::uint64_t>(limit_mb) << 20, "[train] memory_limit_mb"};
  AvailableMemory a{mem_available().value_or(0), "available memory (MemAvailable)"};
  // Inside a cgroup (a container, a systemd unit with MemoryMax) the limit may be lower.
  if (auto max = read_number("/sys/fs/cgroup/memory.max")) {
    const std::uint64_t used = read_number("/sys/fs/cgroup/memory.current").value_or(0);
    const std::uint64_t room = *max > used ? *max - used : 0;
    if (a.bytes == 0 || room < a.bytes) a = {room, "the cgroup's memory.max"};
  }
  return a;
}

std::string format_bytes(std::uint64_t b) {
  if (b >= (1ull << 30)) return fmt::format("{:.1f} GiB", static_cast<double>(b) / (1ull << 30));
  if (b >= (1ull << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1ull << 20));
  return fmt::format("{} KiB", (b + 1023) / 1024);
}

}  // namespace knowthy::train
