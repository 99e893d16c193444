// The training data pipeline of `swift sft` / `swift pt`: every --dataset loaded and
// concatenated, the --split_dataset_ratio split or --val_dataset, the shuffle, the template
// encoding (threads = --dataset_num_proc) with bad rows dropped and counted, --packing bins, and
// the collation of a micro-batch into one flat packed token stream (position ids restart per
// sample, cu_seqlens per sample) — as ms-swift 4.6 does it (swift/dataset/loader.py,
// dataset_meta.py, packing.py; swift/pipelines/train/sft.py).
//
// Randomness is numpy's, bit for bit: one RandomState(--data_seed) drives #N sampling and
// hands out the seeds (get_seed) for Hugging Face datasets' train_test_split and shuffle, which
// draw their permutations from np.random.default_rng (PCG64). So the rows that land in train and
// val, and their order, equal ms-swift's for the same files and seed.
//
// No libtorch here: the trainer turns a Batch into tensors.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "args/arguments.h"
#include "dataset/dataset.h"
#include "template/swift_template.h"
#include "train/sample.h"

namespace swift::train {

struct DataOptions;

// What one dataset row encodes to: its samples (one for sft; chosen then rejected for a
// preference pair; several with truncation "split"), or the reason it is dropped.
struct RowEncoding {
  std::vector<Sample> samples;
  std::string reason;  // non-empty: dropped, counted under this reason
  std::string detail;
  // A drop the algorithm makes by design (KTO's KL completion equal to the row's own answer):
  // counted and reported, but neither an error under --strict nor held to max_drop_ratio.
  bool expected = false;
};
using RowEncoder = std::function<RowEncoding(const nlohmann::ordered_json& row,
                                             const DataOptions& options,
                                             const tmpl::SwiftTemplate& tmpl)>;

struct DataOptions {
  std::vector<std::string> dataset, val_dataset;
  double split_dataset_ratio = 0.0;
  bool dataset_shuffle = true;
  bool val_dataset_shuffle = false;
  std::uint64_t data_seed = 42;
  std::int64_t max_length = 0;  // 0: no limit (the trainer fills max_model_len when unset)
  std::string truncation_strategy = "delete";  // delete | left | right | split (pt only)
  bool packing = false;
  std::int64_t packing_length = 0;           // 0: max_length
  std::string packing_strategy = "binpack";  // binpack | sequential
  int packing_num_proc = 1;
  // ms-swift encodes lazily in the dataloader and logs no length statistics; here rows are
  // always encoded up front (cheap for text), only the statistics are left out.
  bool lazy_tokenize = false;
  int num_proc = 1;
  bool strict = false;
  bool pretrain = false;          // swift pt: loss_scale all, generation template
  bool use_chat_template = true;  // false: build the template from generation_template_meta
  bool disable_ignore_empty_think = false;
  // The template options (loss_scale is resolved against the template in prepare_data);
  // max_length and truncation_strategy above take precedence over the ones in here.
  tmpl::EncodeOptions encode;
  dataset::LoadOptions load;  // strict, max_drop_ratio, columns, hub access, self-cognition
  // Empty: encode_row (one conversation per row). `swift rlhf` puts its pair / KTO encoding
  // here; the samples of a row stay adjacent and in order in PreparedData.
  RowEncoder row_encoder;
  // Called on the loaded, split and shuffled rows before they are encoded (KTO's KL rows).
  std::function<void(std::vector<nlohmann::ordered_json>& train,
                     std::vector<nlohmann::ordered_json>& val)>
      rows_hook;
};

// One conversation (messages, with the row's tools or null) through the template as training
// data: --max_length and --truncation_strategy, the first label untrained, "no trainable token"
// when nothing is learned. What prepare_data does per row, for encoders built on it.
RowEncoding encode_messages(nlohmann::ordered_json messages,
                            const nlohmann::ordered_json& tools,
                            const DataOptions& options,
                            const tmpl::SwiftTemplate& tmpl);

// From parsed sft/pt arguments (pretrain: PretrainArguments' defaults loss_scale 'all' and
// use_chat_template false when not given). Hub access, --use_hf and the self-cognition names
// go into `load`. max_length stays 0 when --max_length is unset.
DataOptions data_options_from_args(const args::ParsedArgs& args, bool pretrain);

// TemplateMeta.to_generate_template_meta(): what use_chat_template=false trains with — no
// prefix, the prompt is the bare query, single round, BOS added, EOS as the suffix.
tmpl::TemplateMeta generation_template_meta(const tmpl::TemplateMeta& chat);

// numpy's stat_array over token lengths: "mean±std, min=, max=, size=" (population std).
struct LengthStats {
  double mean = 0, std = 0, min = 0, max = 0;
  std::size_t size = 0;
  std::string text;  // "12.500000±2.500000, min=10.000000, max=15.000000, size=2"
};
LengthStats length_stats(const std::vector<std::int64_t>& lengths);

struct PreparedData {
  std::vector<Sample> train, val;
  // With --packing: sample indices per packed row (into train / val), else empty.
  std::vector<std::vector<std::size_t>> train_packs, val_packs;
  dataset::LoadStats train_stats, val_stats;  // total / kept / dropped per reason
  // ms-swift's train_msg['train_dataset'] / ['val_dataset'] (logging.jsonl): the stat string;
  // empty with lazy_tokenize or when there is no val set.
  std::string train_length_stat, val_length_stat;
  std::string val_dataset_path;  // the val_dataset.jsonl written, or ""
  std::string report;            // log lines, '\n'-separated
};

// Loads, splits, shuffles and encodes. Throws swift::Error when more than
// load.max_drop_ratio of a set's rows are dropped (strict: on the first bad row, naming it),
// or when nothing is left to train on. With a split and a non-empty output_dir, writes
// output_dir/val_dataset.jsonl (the val rows before encoding, atomically).
PreparedData prepare_data(const DataOptions& opts,
                          const tmpl::SwiftTemplate& tmpl,
                          const std::string& output_dir);

// ms-swift's --packing: rows of at most max_length tokens. binpack: binpacking's
// to_constant_volume (decreasing length, each into the least-filled bin it fits) over batches
// of 1000 with the last bin carried over; sequential: next-fit in order. A sample longer than
// max_length gets a row of its own. Returns sample indices per packed row, in ms-swift's order.
std::vector<std::vector<std::size_t>> pack_samples(const std::vector<std::int64_t>& lengths,
                                                   std::int64_t max_length,
                                                   const std::string& strategy = "binpack",
                                                   int num_proc = 1);

// One micro-batch as flat packed tokens (padding-free): samples concatenated, position_ids
// restart at 0 per sample, cu_seqlens {0, len0, len0+len1, ...} (one entry per sample, so
// attention never crosses samples), labels concatenated, loss_scale concatenated (empty when
// every sample is binary; binary samples then weigh 1 where label != -100), label_tokens = the
// positions whose next label within the same sample is trained (what the shifted loss counts).
struct Batch {
  std::vector<std::int64_t> input_ids, position_ids, labels, cu_seqlens;
  std::vector<float> loss_scale;
  std::int64_t label_tokens = 0;
};
Batch collate(const std::vector<const Sample*>& samples);

// ms-swift's BatchSamplerShard for one process (swift/dataloader/shard.py): the sample (or,
// with packing, packed-row) indices of each micro-batch of `epoch`. Shuffled with
// torch.randperm(total, generator seeded data_seed + epoch); the last short batch is kept
// unless drop_last. The shuffle in prepare_data happens once at load; this one every epoch.
std::vector<std::vector<std::size_t>> epoch_batches(std::size_t total,
                                                    std::size_t batch_size,
                                                    bool shuffle,
                                                    bool drop_last,
                                                    std::uint64_t data_seed,
                                                    std::int64_t epoch);

// torch.randperm(n, generator=torch.Generator().manual_seed(seed)) on CPU (MT19937, the
// Fisher-Yates variant ATen keeps for n < 2^32 / 20), without libtorch.
std::vector<std::int64_t> torch_randperm(std::int64_t n, std::uint64_t seed);

// numpy's random generators, as far as the pipeline needs them (data_random.cpp).
namespace np {

// np.random.RandomState(seed): MT19937, legacy seeding.
class RandomState {
 public:
  explicit RandomState(std::uint32_t seed);
  std::uint32_t next_uint32();
  std::uint64_t interval(std::uint64_t max);  // uniform in [0, max], numpy's random_interval
  // randint(0, high) for high <= 2^32 (legacy masked rejection).
  std::int64_t randint(std::int64_t high);
  std::vector<std::int64_t> permutation(std::int64_t n);

 private:
  std::uint32_t mt_[624];
  int pos_ = 624;
};

// swift.utils.get_seed: random_state.randint(0, 2**31 - 1).
std::uint32_t get_seed(RandomState& rs);

// np.random.default_rng(seed).permutation(n) (SeedSequence -> PCG64 -> Generator.shuffle).
std::vector<std::int64_t> default_rng_permutation(std::uint64_t seed, std::int64_t n);

}  // namespace np

}  // namespace swift::train
