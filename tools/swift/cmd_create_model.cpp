// `swift create-model` (swift.cpp only): writes the built-in default model, a small random model
// of a registered architecture with a real tokenizer's vocabulary, so the whole pipeline runs
// without downloading weights.
//
//   swift create-model --tokenizer <tokenizer folder> --output_dir models/tiny [--preset tiny]
#include <cstdio>

#include "args/arg_set.h"
#include "commands.h"
#include "core/error.h"
#include "core/log.h"
#include "export/random_model.h"

namespace swift::cli {

int run_create_model(const std::vector<std::string>& argv) {
  exporter::RandomModelOptions o;
  args::OptStr tokenizer, output_dir, model_type, torch_dtype;
  args::Str preset = o.preset;
  args::OptInt hidden_size, intermediate_size, num_hidden_layers, num_attention_heads,
      num_key_value_heads, head_dim, max_position_embeddings;
  args::OptBool tie_word_embeddings;
  args::OptFloat rope_theta;
  args::Int seed = static_cast<args::Int>(o.seed), vocab_multiple = o.vocab_multiple;
  bool exist_ok = false;
  const char* g = "create-model";
  args::ArgSet set("create-model");
  set.add(tokenizer, "tokenizer", "", "Folder with tokenizer.json (+ tokenizer_config.json)", g);
  set.add(output_dir, "output_dir", "", "Folder to write the model to", g);
  set.add(preset, "preset", "tiny|qwen2.5-0.5b", "Shape preset", g);
  set.add(model_type, "model_type", "",
          "Registered architecture (qwen3, qwen2, llama, mistral, ...); None: the preset's", g);
  set.add(hidden_size, "hidden_size", "", "Override the preset's hidden size", g);
  set.add(intermediate_size, "intermediate_size", "", "Override the MLP size", g);
  set.add(num_hidden_layers, "num_hidden_layers", "", "Override the number of layers", g);
  set.add(num_attention_heads, "num_attention_heads", "", "Override the attention heads", g);
  set.add(num_key_value_heads, "num_key_value_heads", "", "Override the key/value heads", g);
  set.add(head_dim, "head_dim", "", "Override the head size; None: hidden / heads", g);
  set.add(max_position_embeddings, "max_position_embeddings", "", "Override the context size", g);
  set.add(tie_word_embeddings, "tie_word_embeddings", "", "Share embeddings and LM head", g);
  set.add(rope_theta, "rope_theta", "", "Override the rope base", g);
  set.add(torch_dtype, "torch_dtype", "float32|bfloat16|float16", "Weight dtype; None: float32", g);
  set.add(vocab_multiple, "vocab_multiple", "", "Round vocab_size up to a multiple of this", g);
  set.add(seed, "seed", "", "Random seed (same seed, same bytes)", g);
  set.add(exist_ok, "exist_ok", "", "Replace an existing output_dir", g);
  args::CommandLine cl = args::split_command_line(argv);
  if (cl.help) {
    std::printf("%s", set.help_text("usage: swift create-model --tokenizer <folder> --output_dir "
                                    "<folder> [--preset tiny|qwen2.5-0.5b] [--model_type qwen3]")
                          .c_str());
    return 0;
  }
  SWIFT_CHECK(!cl.config_file, "[args] swift create-model takes no config file");
  set.apply(cl.assignments);
  SWIFT_CHECK(tokenizer.has_value(),
              "[args] swift create-model needs --tokenizer (a folder with tokenizer.json)");
  SWIFT_CHECK(output_dir.has_value(), "[args] swift create-model needs --output_dir");
  SWIFT_CHECK(seed >= 0, "[args] --seed must be >= 0, got {}", seed);

  o.tokenizer_dir = *tokenizer;
  o.output_dir = *output_dir;
  o.preset = preset;
  if (model_type) o.model_type = *model_type;
  o.hidden_size = hidden_size;
  o.intermediate_size = intermediate_size;
  o.num_hidden_layers = num_hidden_layers;
  o.num_attention_heads = num_attention_heads;
  o.num_key_value_heads = num_key_value_heads;
  o.head_dim = head_dim;
  o.max_position_embeddings = max_position_embeddings;
  o.tie_word_embeddings = tie_word_embeddings;
  o.rope_theta = rope_theta;
  if (torch_dtype) o.torch_dtype = *torch_dtype;
  o.vocab_multiple = vocab_multiple;
  o.seed = static_cast<std::uint64_t>(seed);
  o.exist_ok = exist_ok;
  auto r = exporter::create_random_model(o);
  SWIFT_INFO("Created a random {} ({} parameters, vocab {}) in {}", r.architecture,
             r.num_parameters, r.vocab_size, r.output_dir);
  std::printf("%s\n", r.output_dir.c_str());
  return 0;
}

}  // namespace swift::cli
