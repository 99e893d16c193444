// prepare_data: the datasets of `swift sft` / `swift pt` from the files to encoded samples.
// Loading order and randomness follow ms-swift's load_dataset (swift/dataset/loader.py):
// per --dataset word, DatasetLoader.post_process (#N sampling, the train_test_split with a seed
// from the shared RandomState), concatenation, then one shuffle of train and one of val; the
// --val_dataset words are a second load_dataset call (split ratio 1, --val_dataset_shuffle)
// with a fresh RandomState. Encoding drops rows as ms-swift's EncodePreprocessor does
// (MaxLengthError under "delete", template errors), counting them per reason.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <filesystem>
#include <map>
#include <thread>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "dataset/hub_source.h"
#include "train/data.h"
#include "train/run_log.h"

namespace swift::train {

namespace {

using OJson = nlohmann::ordered_json;
using Rows = std::vector<OJson>;

// --- loading, sampling, splitting ---------------------------------------------------------

// swift/dataset/utils.py sample_dataset (shuffle_all=False): N // len full copies in order,
// then N % len rows, the first ones of a legacy RandomState permutation when shuffling.
std::vector<std::size_t> sample_indices(std::size_t len,
                                        std::size_t n,
                                        bool shuffle,
                                        np::RandomState& rs) {
  std::vector<std::size_t> idx;
  idx.reserve(n);
  for (std::size_t r = 0; r < n / len; ++r)
    for (std::size_t i = 0; i < len; ++i) idx.push_back(i);
  const std::size_t remain = n % len;
  if (remain > 0) {
    if (shuffle) {
      auto perm = rs.permutation(static_cast<std::int64_t>(len));
      for (std::size_t i = 0; i < remain; ++i) idx.push_back(static_cast<std::size_t>(perm[i]));
    } else {
      for (std::size_t i = 0; i < remain; ++i) idx.push_back(i);
    }
  }
  return idx;
}

Rows select(const Rows& rows, const std::vector<std::size_t>& idx) {
  Rows out;
  out.reserve(idx.size());
  for (auto i : idx) out.push_back(rows[i]);
  return out;
}

// Hugging Face datasets' Dataset.shuffle(seed): rows in np.random.default_rng(seed) order.
Rows hf_shuffle(Rows rows, std::uint32_t seed) {
  auto perm = np::default_rng_permutation(seed, static_cast<std::int64_t>(rows.size()));
  Rows out;
  out.reserve(rows.size());
  for (auto i : perm) out.push_back(std::move(rows[static_cast<std::size_t>(i)]));
  return out;
}

// DatasetLoader.post_process for a non-streaming dataset.
void post_process(const Rows& rows,
                  std::optional<std::int64_t> sample,
                  double ratio,
                  bool shuffle,
                  np::RandomState& rs,
                  const std::string& word,
                  Rows* train,
                  Rows* val) {
  SWIFT_CHECK(!rows.empty(), "[data] dataset {} holds no usable rows", word);
  SWIFT_CHECK(!sample || *sample > 0, "[data] {}: #N must be positive", word);
  const std::size_t len = rows.size();
  const std::size_t n = sample ? static_cast<std::size_t>(*sample) : len;
  if (ratio == 0.0) {
    *train = select(rows, sample_indices(len, n, shuffle, rs));
    return;
  }
  if (ratio == 1.0) {
    SWIFT_CHECK(n <= len, "[data] {}: #{} asks for more validation rows than the {} it holds", word,
                n, len);
    *val = select(rows, sample_indices(len, n, shuffle, rs));
    return;
  }
  const std::size_t train_len = std::min(len, n);
  const std::size_t val_sample =
      std::max<std::size_t>(static_cast<std::size_t>(static_cast<double>(train_len) * ratio), 1);
  SWIFT_CHECK(n > val_sample,
              "[data] {}: --split_dataset_ratio {} leaves no training rows out of {}", word, ratio,
              n);
  // train_test_split(test_size=val_sample): test_size must be below the row count.
  SWIFT_CHECK(val_sample < len,
              "[data] {}: {} rows are too few to split off {} for validation; lower "
              "--split_dataset_ratio",
              word, len, val_sample);
  const std::uint32_t seed = np::get_seed(rs);
  std::vector<std::size_t> test_idx, train_idx;
  if (shuffle) {
    auto perm = np::default_rng_permutation(seed, static_cast<std::int64_t>(len));
    for (std::size_t i = 0; i < len; ++i)
      (i < val_sample ? test_idx : train_idx).push_back(static_cast<std::size_t>(perm[i]));
  } else {
    for (std::size_t i = 0; i < len; ++i)
      (i < len - val_sample ? train_idx : test_idx).push_back(i);
  }
  Rows split_train = select(rows, train_idx);
  *val = select(rows, test_idx);
  *train = select(split_train, sample_indices(split_train.size(), n - val_sample, shuffle, rs));
}

// One word's rows with #N taken off (so that the sampling is ms-swift's, above), each tagged
// with its dataset name as ms-swift's routing tag does.
Rows load_word(const std::string& word,
               const dataset::LoadOptions& lo,
               std::optional<std::int64_t>* sample,
               dataset::LoadStats* stats) {
  dataset::DatasetSpec spec = dataset::parse_dataset_spec(word);
  std::string base = word;
  *sample = std::nullopt;
  if (spec.sample) {
    auto pos = word.rfind('#');
    if (pos != std::string::npos && word.substr(pos + 1) == std::to_string(*spec.sample)) {
      base = word.substr(0, pos);
      *sample = spec.sample;
    }
  }
  Rows rows = dataset::load_dataset(base, lo, stats);
  for (auto& r : rows) r["dataset"] = spec.name;
  return rows;
}

// --- encoding -------------------------------------------------------------------------------

bool trains_something(const Sample& s) {
  for (std::size_t t = 1; t < s.labels.size(); ++t)
    if (s.labels[t] != -100) return true;
  return false;
}

}  // namespace

RowEncoding encode_messages(OJson msgs,
                            const OJson& tools,
                            const DataOptions& o,
                            const tmpl::SwiftTemplate& t) {
  RowEncoding r;
  const bool split = o.truncation_strategy == "split";
  tmpl::EncodeOptions eo = o.encode;
  eo.mode = tmpl::Mode::kTrain;
  eo.max_length = split ? 0 : o.max_length;
  eo.truncation_strategy = split ? "delete" : o.truncation_strategy;
  eo.tools = tools;
  if (!o.use_chat_template) {
    // The generation template has no system (ms-swift passes system=None).
    OJson kept = OJson::array();
    for (auto& m : msgs)
      if (!(m.is_object() && m.value("role", "") == "system")) kept.push_back(m);
    msgs = std::move(kept);
    eo.system = std::nullopt;
  }
  // Template._get_std_messages: a conversation that opens with the assistant (pre-training
  // text) gets an empty user turn before it.
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    if (msgs[i].is_object() && msgs[i].value("role", "") == "system") continue;
    if (msgs[i].is_object() && msgs[i].value("role", "") == "assistant")
      msgs.insert(msgs.begin() + static_cast<std::ptrdiff_t>(i),
                  OJson{{"role", "user"}, {"content", ""}});
    break;
  }
  tmpl::Encoded e;
  try {
    e = t.encode(msgs, eo);
  } catch (const tmpl::MaxLengthError& ex) {
    r.reason = "longer than max_length";
    r.detail = ex.what();
    return r;
  } catch (const std::exception& ex) {
    r.reason = "template error";
    r.detail = ex.what();
    return r;
  }
  auto make = [&](std::size_t begin, std::size_t end) {
    Sample s;
    s.input_ids.assign(e.input_ids.begin() + begin, e.input_ids.begin() + end);
    s.labels.assign(e.labels.begin() + begin, e.labels.begin() + end);
    if (!e.loss_scale.empty())
      s.loss_scale.assign(e.loss_scale.begin() + begin, e.loss_scale.begin() + end);
    return s;
  };
  const std::size_t n = e.input_ids.size();
  if (split && o.max_length > 0 && n > static_cast<std::size_t>(o.max_length)) {
    // _encode_truncated's "split": max_length pieces, each starting untrained.
    for (std::size_t b = 0; b < n; b += static_cast<std::size_t>(o.max_length)) {
      Sample s = make(b, std::min(n, b + static_cast<std::size_t>(o.max_length)));
      s.labels[0] = -100;
      if (!s.loss_scale.empty()) s.loss_scale[0] = 0.f;
      r.samples.push_back(std::move(s));
    }
  } else {
    r.samples.push_back(make(0, n));
    // Template._truncate: a truncated row starts untrained again (the template's own cut
    // leaves the first label as it was).
    Sample& s = r.samples.back();
    if (!s.labels.empty()) s.labels[0] = -100;
    if (!s.loss_scale.empty()) s.loss_scale[0] = 0.f;
  }
  bool any = false;
  for (const auto& s : r.samples) any = any || trains_something(s);
  if (!any) {
    r.samples.clear();
    r.reason = "no trainable token";
    r.detail = "every label is -100 (check the loss_scale and the row's `loss` fields)";
  }
  return r;
}

namespace {

RowEncoding encode_row(const OJson& row, const DataOptions& o, const tmpl::SwiftTemplate& t) {
  if (o.row_encoder) return o.row_encoder(row, o, t);
  return encode_messages(row.contains("messages") ? row["messages"] : OJson::array(),
                         row.contains("tools") ? row["tools"] : OJson(), o, t);
}

std::vector<RowEncoding> encode_all(const Rows& rows,
                                    const DataOptions& o,
                                    const tmpl::SwiftTemplate& t) {
  std::vector<RowEncoding> out(rows.size());
  const std::size_t threads =
      std::min<std::size_t>(rows.size(), static_cast<std::size_t>(std::max(1, o.num_proc)));
  if (threads <= 1) {
    for (std::size_t i = 0; i < rows.size(); ++i) out[i] = encode_row(rows[i], o, t);
    return out;
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  for (std::size_t k = 0; k < threads; ++k)
    pool.emplace_back([&] {
      for (std::size_t i; (i = next.fetch_add(1)) < rows.size();)
        out[i] = encode_row(rows[i], o, t);
    });
  for (auto& th : pool) th.join();
  return out;
}

std::string reasons_text(const std::map<std::string, std::size_t>& dropped) {
  std::string s;
  for (const auto& [why, n] : dropped) s += (s.empty() ? "" : ", ") + why + " " + std::to_string(n);
  return s;
}

// Encodes one set; drops and counts bad rows; enforces --strict and the drop ratio.
std::vector<Sample> encode_set(const Rows& rows,
                               const char* which,
                               const DataOptions& o,
                               const tmpl::SwiftTemplate& t,
                               dataset::LoadStats* st,
                               std::vector<std::string>* report) {
  std::vector<RowEncoding> enc = encode_all(rows, o, t);
  std::vector<Sample> out;
  st->total = rows.size();
  std::string first_bad;
  std::size_t expected = 0;  // drops that are the algorithm's, not the data's (not limited)
  for (std::size_t i = 0; i < enc.size(); ++i) {
    if (!enc[i].reason.empty()) {
      std::string where = fmt::format("{} row {} (from {})", which, i + 1,
                                      rows[i].value("dataset", std::string("?")));
      if (enc[i].expected) {
        ++st->dropped[enc[i].reason];
        ++expected;
        continue;
      }
      SWIFT_CHECK(!o.strict, "[data] {}: {}: {}; fix the row, or drop --strict to skip bad rows",
                  where, enc[i].reason, enc[i].detail);
      ++st->dropped[enc[i].reason];
      if (first_bad.empty()) first_bad = where + ": " + enc[i].detail;
      continue;
    }
    ++st->kept;
    for (auto& s : enc[i].samples) out.push_back(std::move(s));
  }
  const std::size_t dropped = st->total - st->kept;
  if (dropped > 0) {
    report->push_back(fmt::format(
        "Dataset filtered, origin length: {}, filtered dataset length: {}", st->total, st->kept));
    report->push_back(fmt::format("{}: dropped {} of {} rows: {}", which, dropped, st->total,
                                  reasons_text(st->dropped)));
  }
  SWIFT_CHECK(static_cast<double>(dropped - expected) <=
                  o.load.max_drop_ratio * static_cast<double>(st->total),
              "[data] {} of {} {} rows could not be used ({}), more than the allowed {}%; first: "
              "{}. Raise --max_length, use --truncation_strategy left/right, or fix the data",
              dropped, st->total, which, reasons_text(st->dropped), o.load.max_drop_ratio * 100,
              first_bad);
  return out;
}

std::string format_fixed(double v) {
  return fmt::format("{:.6f}", v);
}

}  // namespace

// --- public -----------------------------------------------------------------------------------

tmpl::TemplateMeta generation_template_meta(const tmpl::TemplateMeta& chat) {
  tmpl::TemplateMeta g;
  g.name = chat.name;
  g.prompt = {"{{QUERY}}"};
  g.suffix = {"{{EOS}}"};
  g.support_multi_round = false;  // chat_sep None
  g.auto_add_bos = true;
  g.stop_words = chat.stop_words;
  return g;
}

LengthStats length_stats(const std::vector<std::int64_t>& lengths) {
  LengthStats s;
  s.size = lengths.size();
  if (lengths.empty()) return s;
  double sum = 0;
  s.min = s.max = static_cast<double>(lengths[0]);
  for (auto v : lengths) {
    sum += static_cast<double>(v);
    s.min = std::min(s.min, static_cast<double>(v));
    s.max = std::max(s.max, static_cast<double>(v));
  }
  s.mean = sum / static_cast<double>(s.size);
  double sq = 0;
  for (auto v : lengths)
    sq += (static_cast<double>(v) - s.mean) * (static_cast<double>(v) - s.mean);
  s.std = std::sqrt(sq / static_cast<double>(s.size));
  s.text = fmt::format("{}±{}, min={}, max={}, size={}", format_fixed(s.mean), format_fixed(s.std),
                       format_fixed(s.min), format_fixed(s.max), s.size);
  return s;
}

DataOptions data_options_from_args(const args::ParsedArgs& p, bool pretrain) {
  const args::Arguments& a = p.values;
  SWIFT_CHECK(!a.data.streaming,
              "[data] --streaming is not supported yet; drop it (datasets are read into memory)");
  SWIFT_CHECK(a.data.interleave_prob.empty(),
              "[data] --interleave_prob is not supported yet; datasets are concatenated");
  SWIFT_CHECK(a.data.cached_dataset.empty() && a.data.cached_val_dataset.empty(),
              "[data] --cached_dataset / --cached_val_dataset are not supported yet; pass the "
              "original --dataset");
  SWIFT_CHECK(a.data.data_seed >= 0 && a.data.data_seed <= 0xffffffffLL,
              "[data] --data_seed must be between 0 and 2**32 - 1, got {}", a.data.data_seed);
  DataOptions o;
  o.dataset = a.data.dataset;
  o.val_dataset = a.data.val_dataset;
  o.split_dataset_ratio = a.data.split_dataset_ratio;
  o.dataset_shuffle = a.data.dataset_shuffle;
  o.val_dataset_shuffle = a.data.val_dataset_shuffle;
  o.data_seed = static_cast<std::uint64_t>(a.data.data_seed);
  o.max_length = a.tmpl.max_length.value_or(0);
  o.truncation_strategy = a.tmpl.truncation_strategy.value_or("delete");
  o.packing = a.base.packing;
  o.packing_length = a.base.packing_length.value_or(0);
  o.packing_strategy = a.base.packing_strategy;
  o.packing_num_proc = static_cast<int>(a.base.packing_num_proc);
  o.lazy_tokenize = a.base.lazy_tokenize.value_or(false);
  o.num_proc = static_cast<int>(std::max<std::int64_t>(1, a.data.dataset_num_proc));
  o.strict = a.data.strict;
  o.pretrain = pretrain;
  // PretrainArguments: use_chat_template False, loss_scale 'all' unless given.
  o.use_chat_template = a.tmpl.use_chat_template.value_or(!pretrain);
  o.disable_ignore_empty_think = a.tmpl.disable_ignore_empty_think;

  tmpl::EncodeOptions& e = o.encode;
  e.mode = tmpl::Mode::kTrain;
  const bool loss_scale_given = p.set.has("loss_scale") && p.set.was_set("loss_scale");
  e.loss_scale = pretrain && !loss_scale_given ? "all" : a.tmpl.loss_scale.value_or("default");
  e.system = args::system_text(a.tmpl.system);
  e.enable_thinking = a.tmpl.enable_thinking;
  e.response_prefix = a.tmpl.response_prefix;
  e.add_non_thinking_prefix = a.tmpl.add_non_thinking_prefix;
  e.preserve_thinking = a.tmpl.preserve_thinking.value_or(false);
  e.agent_template = a.tmpl.agent_template;
  e.is_binary_loss_scale = a.tmpl.is_binary_loss_scale;
  e.max_length = o.max_length;
  e.truncation_strategy = o.truncation_strategy;

  dataset::LoadOptions& lo = o.load;
  lo.strict = a.data.strict;
  lo.seed = o.data_seed;
  lo.shuffle = a.data.dataset_shuffle;
  lo.columns = a.data.columns.is_null()
                   ? OJson()
                   : OJson::parse(a.data.columns.dump(-1, ' ', false,
                                                      nlohmann::json::error_handler_t::replace));
  lo = dataset::load_options_with_hub(lo, a.base.use_hf, a.data.model_name, a.data.model_author);
  return o;
}

PreparedData prepare_data(const DataOptions& opts,
                          const tmpl::SwiftTemplate& tmpl,
                          const std::string& output_dir) {
  SWIFT_CHECK(!opts.dataset.empty() || !opts.val_dataset.empty(),
              "[data] no training data; pass --dataset");
  SWIFT_CHECK(opts.split_dataset_ratio >= 0.0 && opts.split_dataset_ratio <= 1.0,
              "[data] --split_dataset_ratio must be in [0, 1], got {}", opts.split_dataset_ratio);
  SWIFT_CHECK(opts.val_dataset.empty() || opts.split_dataset_ratio == 0.0,
              "[data] pass either --val_dataset or --split_dataset_ratio, not both");
  const std::string& ts = opts.truncation_strategy;
  SWIFT_CHECK(ts == "delete" || ts == "left" || ts == "right" || ts == "split",
              "[data] unknown --truncation_strategy '{}'; use delete, left, right or split", ts);
  SWIFT_CHECK(ts != "split" || !opts.use_chat_template,
              "[data] `--truncation_strategy split` is currently only supported for pre-training "
              "(swift pt, or --use_chat_template false)");
  SWIFT_CHECK(opts.data_seed <= 0xffffffffull,
              "[data] data_seed must be between 0 and 2**32 - 1, got {}", opts.data_seed);
  DataOptions o = opts;
  o.encode.loss_scale = tmpl::resolve_loss_scale(tmpl.meta(), opts.encode.loss_scale,
                                                 opts.disable_ignore_empty_think);

  PreparedData out;
  std::vector<std::string> report;
  dataset::LoadOptions lo = opts.load;
  lo.strict = opts.strict || opts.load.strict;
  lo.seed = opts.data_seed;

  Rows train, val;
  {
    np::RandomState rs(static_cast<std::uint32_t>(opts.data_seed));
    for (const auto& word : opts.dataset) {
      std::optional<std::int64_t> sample;
      dataset::LoadStats st;
      Rows rows = load_word(word, lo, &sample, &st);
      // load_dataset draws init_decision_augment's seed for every word first.
      np::get_seed(rs);
      Rows tr, va;
      post_process(rows, sample, opts.split_dataset_ratio, opts.dataset_shuffle, rs, word, &tr,
                   &va);
      report.push_back(fmt::format("dataset {}: {} rows read, {} kept, {} to train, {} to val",
                                   word, st.total, st.kept, tr.size(), va.size()));
      for (auto& r : tr) train.push_back(std::move(r));
      for (auto& r : va) val.push_back(std::move(r));
    }
    if (opts.dataset_shuffle) {
      if (!train.empty()) train = hf_shuffle(std::move(train), np::get_seed(rs));
      if (!val.empty()) val = hf_shuffle(std::move(val), np::get_seed(rs));
    }
  }
  const bool split_made = opts.val_dataset.empty() && !val.empty();
  if (!opts.val_dataset.empty()) {
    val.clear();
    np::RandomState rs(static_cast<std::uint32_t>(opts.data_seed));
    for (const auto& word : opts.val_dataset) {
      std::optional<std::int64_t> sample;
      dataset::LoadStats st;
      Rows rows = load_word(word, lo, &sample, &st);
      np::get_seed(rs);
      Rows tr, va;
      post_process(rows, sample, 1.0, opts.val_dataset_shuffle, rs, word, &tr, &va);
      report.push_back(fmt::format("val_dataset {}: {} rows read, {} kept, {} to val", word,
                                   st.total, st.kept, va.size()));
      for (auto& r : va) val.push_back(std::move(r));
    }
    if (opts.val_dataset_shuffle && !val.empty())
      val = hf_shuffle(std::move(val), np::get_seed(rs));
  }

  if (opts.rows_hook) opts.rows_hook(train, val);

  if (split_made && !output_dir.empty()) {
    // sft.py _save_val_dataset: the split-off rows before encoding, one JSON line each.
    std::string text;
    for (const auto& r : val) text += py_json_dumps(r) + "\n";
    std::error_code ec;
    std::filesystem::create_directories(output_dir, ec);
    SWIFT_CHECK(!ec, "[data] cannot create {}: {}", output_dir, ec.message());
    out.val_dataset_path = fs::join(output_dir, "val_dataset.jsonl");
    fs::write_file_atomic(out.val_dataset_path, text);
    report.push_back(fmt::format("The split dataset from the training set will be saved at: `{}`.",
                                 out.val_dataset_path));
  }

  if (!train.empty()) out.train = encode_set(train, "train", o, tmpl, &out.train_stats, &report);
  if (!val.empty()) out.val = encode_set(val, "val", o, tmpl, &out.val_stats, &report);
  SWIFT_CHECK(!out.train.empty() || opts.dataset.empty(),
              "[data] no training rows are left after encoding; check --dataset and --max_length");

  const std::int64_t pack_len = opts.packing_length > 0 ? opts.packing_length : opts.max_length;
  auto lengths_of = [&](const std::vector<Sample>& s,
                        const std::vector<std::vector<std::size_t>>& packs) {
    std::vector<std::int64_t> l;
    if (opts.packing) {
      for (const auto& p : packs) {
        std::int64_t sum = 0;
        for (auto i : p) sum += static_cast<std::int64_t>(s[i].input_ids.size());
        l.push_back(sum);
      }
    } else {
      for (const auto& x : s) l.push_back(static_cast<std::int64_t>(x.input_ids.size()));
    }
    return l;
  };
  auto pack = [&](const std::vector<Sample>& s) {
    std::vector<std::int64_t> l;
    for (const auto& x : s) l.push_back(static_cast<std::int64_t>(x.input_ids.size()));
    return pack_samples(l, pack_len, opts.packing_strategy, opts.packing_num_proc);
  };
  if (opts.packing) {
    out.train_packs = pack(out.train);
    if (!out.val.empty()) out.val_packs = pack(out.val);
    report.push_back(fmt::format("packing: {} train samples into {} rows of at most {} tokens",
                                 out.train.size(), out.train_packs.size(), pack_len));
  }
  report.push_back(fmt::format("train_dataset: {} samples", out.train.size()));
  report.push_back(fmt::format("val_dataset: {} samples", out.val.size()));
  if (!opts.lazy_tokenize) {
    if (!out.train.empty()) {
      out.train_length_stat = length_stats(lengths_of(out.train, out.train_packs)).text;
      report.push_back("Dataset Token Length: " + out.train_length_stat);
    }
    if (!out.val.empty()) {
      out.val_length_stat = length_stats(lengths_of(out.val, out.val_packs)).text;
      report.push_back("Dataset Token Length: " + out.val_length_stat);
    }
  }
  for (const auto& line : report) out.report += line + "\n";
  return out;
}

}  // namespace swift::train
