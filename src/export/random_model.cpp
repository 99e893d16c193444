// The built-in random default model (see random_model.h): config from a preset plus overrides,
// the vocabulary and special token ids of a real tokenizer, parameters from the architecture's
// own table (CausalLM::expected_parameters), so the folder always loads.
#include "export/random_model.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "core/fs.h"
#include "core/strings.h"
#include "export/hf_writer.h"
#include "io/hf_config.h"
#include "model/causal_lm.h"
#include "model/config.h"
#include "model/registry.h"
#include "tokenizer/tokenizer.h"

namespace swift::exporter {
namespace {

struct Preset {
  std::string model_type;
  std::int64_t hidden, intermediate, layers, heads, kv_heads, max_pos;
  bool tie;
  double rope_theta;
  double rms_norm_eps;
};

const std::map<std::string, Preset>& presets() {
  static const std::map<std::string, Preset> p = {
      {"tiny", {"qwen3", 64, 128, 2, 4, 2, 4096, true, 1e6, 1e-6}},
      {"qwen2.5-0.5b", {"qwen2", 896, 4864, 24, 14, 2, 32768, true, 1e6, 1e-6}},
  };
  return p;
}

// Tokens that end a turn or a document in the tokenizers we know; those present (and special)
// join eos_token in generation_config.json's eos_token_id list, as the real models list them.
const std::vector<std::string> kEndTokens = {
    "<|im_end|>",    "<|endoftext|>", "<|eot_id|>", "<|end_of_text|>", "<|eom_id|>",
    "<end_of_turn>", "<eos>",         "</s>",       "<|return|>",      "<|call|>"};

// Highest token id + 1 over tokenizer.json's model vocabulary and added tokens (ids may have
// gaps, so a count is not enough).
std::int64_t tokenizer_json_vocab(const std::string& dir) {
  const std::string path = fs::join(dir, "tokenizer.json");
  if (!fs::is_file(path)) return 0;
  auto j = io::read_json_file(path, 1ull << 30);
  std::int64_t n = 0;
  if (j.contains("model") && j["model"].contains("vocab")) {
    const auto& v = j["model"]["vocab"];
    if (v.is_object()) {
      for (auto it = v.begin(); it != v.end(); ++it)
        if (it->is_number_integer()) n = std::max<std::int64_t>(n, it->get<std::int64_t>() + 1);
    } else if (v.is_array()) {
      n = static_cast<std::int64_t>(v.size());
    }
  }
  if (j.contains("added_tokens") && j["added_tokens"].is_array())
    for (const auto& t : j["added_tokens"])
      if (t.contains("id") && t["id"].is_number_integer())
        n = std::max<std::int64_t>(n, t["id"].get<std::int64_t>() + 1);
  return n;
}

std::string architecture_for(const std::string& model_type) {
  model::ModelConfig probe;
  probe.model_type = model_type;
  const model::ArchSpec* spec = model::find_arch(probe);
  SWIFT_CHECK(spec && !spec->architectures.empty(),
              "[export] unknown model_type '{}'; use a registered architecture such as qwen3, "
              "qwen2 or llama",
              model_type);
  return spec->architectures[0];
}

}  // namespace

std::vector<std::string> random_model_presets() {
  std::vector<std::string> out;
  for (const auto& [name, p] : presets()) out.push_back(name);
  return out;
}

RandomModelResult create_random_model(const RandomModelOptions& o) {
  SWIFT_CHECK(!o.output_dir.empty(), "[export] create-model needs an output folder (--output_dir)");
  SWIFT_CHECK(fs::is_dir(o.tokenizer_dir),
              "[export] tokenizer folder '{}' not found; pass a folder with tokenizer.json "
              "(--tokenizer)",
              o.tokenizer_dir);
  auto pit = presets().find(o.preset);
  if (pit == presets().end()) {
    std::string names;
    for (const auto& n : random_model_presets()) names += (names.empty() ? "" : ", ") + n;
    SWIFT_FAIL("[export] unknown preset '{}'; use one of: {}", o.preset, names);
  }
  const Preset& pr = pit->second;
  SWIFT_CHECK(o.vocab_multiple >= 1 && o.vocab_multiple <= (1 << 20),
              "[export] vocab_multiple must be 1..1048576, got {}", o.vocab_multiple);
  check_output_dir(o.output_dir, o.exist_ok, {o.tokenizer_dir});

  auto tok = tok::Tokenizer::from_dir(o.tokenizer_dir);
  std::int64_t vocab = std::max<std::int64_t>(static_cast<std::int64_t>(tok->vocab_size()),
                                              tokenizer_json_vocab(o.tokenizer_dir));
  SWIFT_CHECK(vocab > 0, "[export] the tokenizer in {} has an empty vocabulary", o.tokenizer_dir);
  vocab = (vocab + o.vocab_multiple - 1) / o.vocab_multiple * o.vocab_multiple;
  const auto& tc = tok->config();
  auto id_of = [&](const std::string& t) -> nlohmann::json {
    if (t.empty()) return nullptr;
    const std::int32_t id = tok->token_to_id(t);
    return id >= 0 ? nlohmann::json(id) : nlohmann::json(nullptr);
  };
  const nlohmann::json bos = id_of(tc.bos_token), eos = id_of(tc.eos_token),
                       pad = id_of(tc.pad_token);
  nlohmann::json eos_list = nlohmann::json::array();
  if (!eos.is_null()) eos_list.push_back(eos);
  for (const auto& t : kEndTokens) {
    const std::int32_t id = tok->token_to_id(t);
    if (id >= 0 && tok->is_special(id) &&
        std::find(eos_list.begin(), eos_list.end(), id) == eos_list.end())
      eos_list.push_back(id);
  }

  const std::string model_type = o.model_type.empty() ? pr.model_type : o.model_type;
  const std::int64_t hidden = o.hidden_size.value_or(pr.hidden);
  const std::int64_t heads = o.num_attention_heads.value_or(pr.heads);
  const std::int64_t kv_heads = o.num_key_value_heads.value_or(std::min(pr.kv_heads, heads));
  const std::int64_t layers = o.num_hidden_layers.value_or(pr.layers);
  SWIFT_CHECK(hidden > 0 && heads > 0 && kv_heads > 0 && layers > 0,
              "[export] hidden_size, num_attention_heads, num_key_value_heads and "
              "num_hidden_layers must be positive");
  SWIFT_CHECK(heads % kv_heads == 0,
              "[export] num_key_value_heads ({}) must divide num_attention_heads ({})", kv_heads,
              heads);
  SWIFT_CHECK(o.head_dim || hidden % heads == 0,
              "[export] hidden_size ({}) is not a multiple of num_attention_heads ({}); pass "
              "--head_dim",
              hidden, heads);
  const at::ScalarType dtype = parse_torch_dtype(o.torch_dtype);

  nlohmann::ordered_json cfg;
  cfg["architectures"] = nlohmann::ordered_json::array({architecture_for(model_type)});
  cfg["model_type"] = model_type;
  cfg["vocab_size"] = vocab;
  cfg["hidden_size"] = hidden;
  cfg["intermediate_size"] = o.intermediate_size.value_or(pr.intermediate);
  cfg["num_hidden_layers"] = layers;
  cfg["num_attention_heads"] = heads;
  cfg["num_key_value_heads"] = kv_heads;
  cfg["head_dim"] = o.head_dim.value_or(hidden / heads);
  cfg["hidden_act"] = "silu";
  cfg["max_position_embeddings"] = o.max_position_embeddings.value_or(pr.max_pos);
  cfg["rms_norm_eps"] = pr.rms_norm_eps;
  cfg["rope_theta"] = o.rope_theta.value_or(pr.rope_theta);
  cfg["rope_scaling"] = nullptr;
  cfg["tie_word_embeddings"] = o.tie_word_embeddings.value_or(pr.tie);
  cfg["attention_dropout"] = 0.0;
  cfg["use_sliding_window"] = false;
  cfg["max_window_layers"] = layers;
  cfg["initializer_range"] = 0.02;
  cfg["use_cache"] = true;
  cfg["bos_token_id"] = bos;
  cfg["eos_token_id"] = eos;
  cfg["pad_token_id"] = pad;
  cfg["torch_dtype"] = torch_dtype_name(dtype);

  // The same range checks `swift infer` applies to config.json: never write a folder that the
  // loader would then refuse.
  (void)io::parse_hf_config(nlohmann::json(cfg), o.output_dir + "/config.json");
  model::ModelConfig mc = model::parse_model_config(nlohmann::json(cfg));
  const model::ArchSpec* spec = model::find_arch(mc);
  SWIFT_ASSERT(spec != nullptr);  // architecture_for found it by model_type
  if (spec->configure) spec->configure(mc);
  SWIFT_CHECK(spec->routing == model::MoeRouting::kNone &&
                  spec->attention == model::AttentionKind::kStandard && mc.num_experts == 0,
              "[export] create-model makes dense models only; '{}' needs MoE or MLA settings. "
              "Use qwen3, qwen2, llama or another dense architecture",
              model_type);
  // Written out as the architecture resolves them (qwen2: qkv bias; the window, so transformers'
  // own default for an absent key cannot differ).
  cfg["attention_bias"] = mc.attention_bias;
  cfg["sliding_window"] =
      mc.sliding_window > 0 ? nlohmann::ordered_json(mc.sliding_window) : nlohmann::ordered_json();
  mc.raw = nlohmann::json(cfg);
  model::CausalLM lm(mc, *spec);

  // Absurd sizes are refused before anything is allocated or written: the float32 init plus the
  // stored copy must fit in memory, and the stored copy on the output's disk.
  {
    long double numel = 0;
    for (const auto& ps : lm.expected_parameters()) {
      long double n = 1;
      for (auto d : ps.shape) n *= static_cast<long double>(d);
      numel += n;
    }
    const long double stored = numel * static_cast<long double>(c10::elementSize(dtype));
    const long double ram = static_cast<long double>(::sysconf(_SC_PHYS_PAGES)) *
                            static_cast<long double>(::sysconf(_SC_PAGE_SIZE));
    SWIFT_CHECK(numel * 4 + stored <= ram * 0.8L,
                "[export] the model would have {:.3g} parameters ({:.1f} GB to build), more than "
                "this machine's memory; choose smaller sizes",
                static_cast<double>(numel), static_cast<double>((numel * 4 + stored) / 1e9L));
    std::filesystem::path parent =
        std::filesystem::absolute(o.output_dir).lexically_normal().parent_path();
    struct statvfs st {};
    if (::statvfs(parent.c_str(), &st) == 0) {
      const long double free_bytes =
          static_cast<long double>(st.f_bavail) * static_cast<long double>(st.f_frsize);
      SWIFT_CHECK(stored <= free_bytes,
                  "[export] the model needs {:.1f} GB but {} has {:.1f} GB free; free disk space "
                  "or choose smaller sizes",
                  static_cast<double>(stored / 1e9L), parent.string(),
                  static_cast<double>(free_bytes / 1e9L));
    }
  }

  // Deterministic init in parameter order from one generator.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  const bool norm_plus_one = spec->norm == model::NormKind::kGemmaRms;
  std::int64_t num_params = 0;
  for (const auto& ps : lm.expected_parameters()) {
    at::Tensor t;
    if (str::ends_with(ps.name, "norm.weight")) {
      t = norm_plus_one ? torch::zeros(ps.shape) : torch::ones(ps.shape);
    } else if (str::ends_with(ps.name, ".bias")) {
      t = torch::zeros(ps.shape);
    } else {
      t = at::normal(0.0, 0.02, ps.shape, gen, torch::TensorOptions().dtype(torch::kFloat32));
    }
    lm.parameters()[ps.name] = t.to(dtype).contiguous();
    num_params += t.numel();
  }

  nlohmann::ordered_json gen_cfg;
  gen_cfg["bos_token_id"] = bos;
  gen_cfg["eos_token_id"] = eos_list.size() == 1 ? eos_list[0] : nlohmann::json(eos_list);
  gen_cfg["pad_token_id"] = pad;

  StagedDir out(o.output_dir, o.exist_ok);
  write_weights(out.path(), checkpoint_tensors(lm, nullptr), parse_file_size("5GB"));
  write_json(fs::join(out.path(), "config.json"), cfg);
  write_json(fs::join(out.path(), "generation_config.json"), gen_cfg);
  copy_tokenizer_files(o.tokenizer_dir, out.path());
  out.commit();

  RandomModelResult r;
  r.output_dir = std::filesystem::weakly_canonical(o.output_dir).string();
  r.architecture = cfg["architectures"][0].get<std::string>();
  r.vocab_size = vocab;
  r.num_parameters = num_params;
  return r;
}

}  // namespace swift::exporter
