#include "train/manifest.hpp"

#include "util/fs.hpp"

namespace knowthy::train {

using ojson = nlohmann::ordered_json;
using nlohmann::json;

ojson LlamaOptSettings::to_json() const {
  return {{"epochs", epochs},
          {"learning_rate", learning_rate},
          {"weight_decay", weight_decay},
          {"optimizer", optimizer},
          {"context", context},
          {"batch", batch},
          {"ubatch", ubatch},
          {"tensors", tensors},
          {"threads", threads},
          {"gpu_layers", gpu_layers},
          {"method", method},
          {"lora_rank", lora_rank},
          {"lora_alpha", lora_alpha},
          {"lora_targets", lora_targets},
          {"objective", objective},
          {"dpo_beta", dpo_beta},
          {"rpo_alpha", rpo_alpha}};
}

LlamaOptSettings LlamaOptSettings::from_json(const json& j) {
  LlamaOptSettings s;
  s.epochs = j.value("epochs", s.epochs);
  s.learning_rate = j.value("learning_rate", s.learning_rate);
  s.weight_decay = j.value("weight_decay", s.weight_decay);
  s.optimizer = j.value("optimizer", s.optimizer);
  s.context = j.value("context", s.context);
  s.batch = j.value("batch", s.batch);
  s.ubatch = j.value("ubatch", s.ubatch);
  s.tensors = j.value("tensors", s.tensors);
  s.threads = j.value("threads", s.threads);
  s.gpu_layers = j.value("gpu_layers", s.gpu_layers);
  s.method = j.value("method", s.method);
  s.lora_rank = j.value("lora_rank", s.lora_rank);
  s.lora_alpha = j.value("lora_alpha", s.lora_alpha);
  s.lora_targets = j.value("lora_targets", s.lora_targets);
  s.objective = j.value("objective", s.objective);
  s.dpo_beta = j.value("dpo_beta", s.dpo_beta);
  s.rpo_alpha = j.value("rpo_alpha", s.rpo_alpha);
  return s;
}

const FrozenFile* Manifest::dataset(std::string_view role) const {
  for (const auto& f : datasets)
    if (f.role == role) return &f;
  return nullptr;
}

ojson Manifest::to_json() const {
  ojson files = ojson::object();
  for (const auto& f : datasets)
    files[f.role] = {{"path", f.path.string()}, {"sha256", f.sha256}, {"bytes", f.bytes}, {"records", f.records}};
  ojson trainer_j{{"kind", trainer}};
  if (trainer == "command") {
    trainer_j["argv"] = command;
    trainer_j["shell"] = shell;
  } else if (trainer == "llama-opt") {
    trainer_j["settings"] = llama_opt.to_json();
  }
  return {{"name", name},
          {"id", id},
          {"created_at", created_at},
          {"knowthy_version", knowthy_version},
          {"base_model", {{"path", base_model.string()}, {"sha256", base_sha256}, {"bytes", base_bytes}}},
          {"starts_from", starts_from},
          {"datasets", files},
          {"batches", {{"train", batches_train}, {"heldout", batches_heldout}, {"flagged", batches_flagged}}},
          {"trainer", trainer_j},
          {"output_dir", output_dir.string()},
          {"gate", gate}};
}

Result<Manifest> read_manifest(const std::filesystem::path& path) {
  auto text = util::read_file(path);
  if (!text) return std::unexpected(text.error());
  const json j = json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.contains("base_model") || !j.contains("datasets") || !j.contains("trainer"))
    return bad_input(path.string(), "is not a candidate manifest");
  try {
    Manifest m;
    m.id = j.value("id", std::int64_t{0});
    m.name = j.value("name", "");
    m.created_at = j.value("created_at", "");
    m.knowthy_version = j.value("knowthy_version", "");
    m.base_model = j["base_model"].value("path", "");
    m.base_sha256 = j["base_model"].value("sha256", "");
    m.base_bytes = j["base_model"].value("bytes", std::uint64_t{0});
    m.starts_from = j.value("starts_from", "base");
    for (const auto& [role, f] : j["datasets"].items())
      m.datasets.push_back({role, f.value("path", ""), f.value("sha256", ""), f.value("bytes", std::uint64_t{0}),
                            f.value("records", std::int64_t{0})});
    if (j.contains("batches")) {
      m.batches_train = j["batches"].value("train", std::vector<std::int64_t>{});
      m.batches_heldout = j["batches"].value("heldout", std::vector<std::int64_t>{});
      m.batches_flagged = j["batches"].value("flagged", std::vector<std::int64_t>{});
    }
    m.trainer = j["trainer"].value("kind", "none");
    m.command = j["trainer"].value("argv", std::vector<std::string>{});
    m.shell = j["trainer"].value("shell", false);
    if (j["trainer"].contains("settings")) m.llama_opt = LlamaOptSettings::from_json(j["trainer"]["settings"]);
    m.output_dir = j.value("output_dir", "");
    if (j.contains("gate")) m.gate = ojson::parse(j["gate"].dump());
    return m;
  } catch (const json::exception& e) {
    return bad_input(path.string(), std::string("is not a candidate manifest: ") + e.what());
  }
}

Status write_manifest(const std::filesystem::path& path, const Manifest& m) {
  return util::write_file_atomic(path, m.to_json().dump(2) + "\n");
}

}  // namespace knowthy::train
