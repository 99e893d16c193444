// Tokenizer::from_dir and the tokenizer.json implementation of swift::tok::Tokenizer: added
// tokens -> normalizer -> pre-tokenizer -> model -> post-processor, and back through the decoder,
// as HF tokenizers' TokenizerImpl does.
#include "tokenizer/tokenizer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "core/fs.h"
#include "core/strings.h"
#include "tokenizer/added_vocabulary.h"
#include "tokenizer/bpe.h"
#include "tokenizer/components.h"
#include "tokenizer/config.h"
#include "tokenizer/json_util.h"
#include "tokenizer/models.h"
#include "tokenizer/sentencepiece_convert.h"
#include "tokenizer/sentencepiece_model.h"
#include "tokenizer/tokenizer_json.h"
#include "tokenizer/unicode.h"

namespace swift::tok {

std::string clean_up_tokenization(std::string s);  // decoders.cpp

using nlohmann::json;

namespace {

constexpr std::uint64_t kMaxTokenizerJsonBytes = 1ull << 30;

struct Pipeline {
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::shared_ptr<Model> model;
  std::unique_ptr<PostProcessor> post_processor;
  AddedVocabulary added;

  std::int32_t token_to_id(std::string_view t) const {
    const std::int32_t a = added.id_of(t);
    return a >= 0 ? a : model->token_to_id(t);
  }

  std::vector<std::int32_t> encode(std::string_view text, bool add_special) const {
    std::string owned;
    if (!is_valid_utf8(text)) {
      owned = utf8_lossy(text);  // Python strings are always valid: repair like bytes.decode would
      text = owned;
    }
    std::vector<std::int32_t> ids;
    ids.reserve(text.size() / 3 + 4);
    std::vector<Piece> pieces;
    for (auto& seg : added.extract_and_normalize(text, normalizer.get())) {
      if (seg.id >= 0) {
        ids.push_back(seg.id);
        continue;
      }
      pieces.clear();
      pieces.push_back(Piece{std::move(seg.text), seg.at_origin});
      if (pre_tokenizer) pre_tokenizer->pre_tokenize(pieces);
      for (const auto& p : pieces) model->tokenize(p.text, ids);
    }
    if (add_special && post_processor) post_processor->process(ids);
    return ids;
  }
};

void load_added_tokens(const json& root, Pipeline& p) {
  const json* list = json_util::get_array(root, "added_tokens", "tokenizer.json");
  if (!list) return;
  SWIFT_CHECK(list->size() <= AddedVocabulary::kMaxAddedTokens,
              "[tokenizer] tokenizer.json has {} added tokens (max {}); the file is corrupt",
              list->size(), AddedVocabulary::kMaxAddedTokens);
  for (const auto& e : *list) {
    const char* w = "added_tokens entry";
    AddedToken t;
    const auto id = json_util::get_int(e, "id", w, -1);
    SWIFT_CHECK(e.contains("id"), "[tokenizer] an added token has no id");
    SWIFT_CHECK(id >= 0 && id < (1 << 24), "[tokenizer] added token id {} is out of range", id);
    t.id = static_cast<std::int32_t>(id);
    t.content = json_util::get_string(e, "content", w, "", true);
    t.special = json_util::get_bool(e, "special", w, false);
    t.normalized = json_util::get_bool(e, "normalized", w, !t.special);
    t.lstrip = json_util::get_bool(e, "lstrip", w, false);
    t.rstrip = json_util::get_bool(e, "rstrip", w, false);
    t.single_word = json_util::get_bool(e, "single_word", w, false);
    // An added token that is also a vocab entry must keep the vocab's id.
    const std::int32_t in_vocab = p.model->token_to_id(t.content);
    SWIFT_CHECK(in_vocab < 0 || in_vocab == t.id,
                "[tokenizer] added token \"{}\" has id {} but the vocab gives it id {}", t.content,
                t.id, in_vocab);
    const std::string* other = p.model->id_to_token(t.id);
    SWIFT_CHECK(!other || *other == t.content,
                "[tokenizer] added token \"{}\" takes id {}, which the vocab gives to \"{}\"",
                t.content, t.id, *other);
    p.added.add(std::move(t));
  }
}

// A file's bytes, mapped read-only (or read into memory where mapping fails): no copy of a
// 10-30 MB tokenizer.json, and views into it stay valid while this lives.
class FileText {
 public:
  FileText(const std::string& path, std::uint64_t size) {
    const int fd = fs::open_regular(path, &size);
    if (size > 0) {
      void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (p != MAP_FAILED) map_ = p, size_ = size;
    }
    ::close(fd);
    if (!map_) copy_ = fs::read_file(path);
  }
  ~FileText() {
    if (map_) ::munmap(map_, size_);
  }
  FileText(const FileText&) = delete;
  FileText& operator=(const FileText&) = delete;
  std::string_view view() const {
    return map_ ? std::string_view(static_cast<const char*>(map_), size_) : copy_;
  }

 private:
  void* map_ = nullptr;
  std::size_t size_ = 0;
  std::string copy_;
};

class JsonTokenizer : public Tokenizer {
 public:
  // `bpe_source` (may be null): model.vocab and model.merges read apart from `root` (which then
  // lacks them; see split_tokenizer_json).
  // `class_pipeline`: `root` already is the pipeline transformers builds for the folder's class
  // (a tokenizer.model folder), so no second transformers view is made.
  JsonTokenizer(const json& root,
                const BpeSource* bpe_source,
                ConfigDetails details,
                bool class_pipeline = false)
      : details_(std::move(details)) {
    SWIFT_CHECK(root.is_object(), "[tokenizer] tokenizer.json must hold a JSON object");
    const json& model = json_util::field(root, "model", "tokenizer.json");
    std::string type = json_util::get_string(model, "type", "model");
    if (type.empty() && (bpe_source || model.contains("merges"))) type = "BPE";
    std::shared_ptr<const BpeTables> tables;
    is_bpe_ = type == "BPE";
    if (type == "BPE") {
      auto bpe = bpe_source ? Bpe::from_source(model, *bpe_source) : Bpe::from_json(model);
      tables = bpe->tables();
      raw_.model = std::move(bpe);
    } else if (type == "Unigram") {
      raw_.model = make_unigram(model);
    } else if (type == "WordPiece") {
      raw_.model = make_wordpiece(model);
    } else if (type == "WordLevel") {
      raw_.model = make_wordlevel(model);
    } else {
      SWIFT_FAIL(
          "[tokenizer] model type \"{}\" is not supported; expected BPE, Unigram, "
          "WordPiece or WordLevel",
          type);
    }
    raw_.normalizer = make_normalizer(root.value("normalizer", json()));
    raw_.pre_tokenizer = make_pre_tokenizer(root.value("pre_tokenizer", json()));
    decoder_ = make_decoder(root.value("decoder", json()));
    load_added_tokens(root, raw_);
    raw_.added.build(raw_.normalizer.get());
    auto lookup = [this](const std::string& t) { return raw_.token_to_id(t); };
    raw_.post_processor = make_post_processor(root.value("post_processor", json()), lookup);
    build_table();
    if (!class_pipeline) maybe_build_transformers_view(root, tables);
  }

  std::vector<std::int32_t> encode(std::string_view text, bool add_special) const override {
    return raw_.encode(text, add_special);
  }

  std::vector<std::int32_t> encode_like_transformers(std::string_view text,
                                                     bool add_special) const override {
    return hf_ ? hf_->encode(text, add_special) : raw_.encode(text, add_special);
  }

  std::string decode(const std::vector<std::int32_t>& ids, bool skip_special) const override {
    return decode_with(decoder_.get(), ids, skip_special);
  }

  std::string decode_like_transformers(const std::vector<std::int32_t>& ids,
                                       bool skip_special) const override {
    std::string text =
        decode_with(hf_decoder_ ? hf_decoder_.get() : decoder_.get(), ids, skip_special);
    // transformers 5 applies clean_up_tokenization_spaces to every model but BPE.
    if (details_.config.clean_up_tokenization_spaces && !is_bpe_)
      text = clean_up_tokenization(text);
    return text;
  }

  std::string decode_with(const Decoder* decoder,
                          const std::vector<std::int32_t>& ids,
                          bool skip_special) const {
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (std::int32_t id : ids) {
      if (const AddedToken* a = raw_.added.by_id(id)) {
        if (!(skip_special && a->special)) tokens.push_back(a->content);
        continue;
      }
      if (const std::string* t = raw_.model->id_to_token(id)) tokens.push_back(*t);
    }
    if (!decoder) {
      std::string out;
      for (std::size_t k = 0; k < tokens.size(); ++k) out += (k ? " " : "") + tokens[k];
      return out;
    }
    decoder->decode_chain(tokens);
    std::string out;
    for (const auto& t : tokens) out += t;
    return out;
  }

  std::int32_t token_to_id(std::string_view token) const override {
    return raw_.token_to_id(token);
  }
  std::string id_to_token(std::int32_t id) const override {
    if (const AddedToken* a = raw_.added.by_id(id)) return a->content;
    const std::string* t = raw_.model->id_to_token(id);
    return t ? *t : std::string();
  }
  std::size_t vocab_size() const override { return vocab_size_; }
  bool is_special(std::int32_t id) const override {
    const AddedToken* a = raw_.added.by_id(id);
    return a && a->special;
  }
  const TokenizerConfig& config() const override { return details_.config; }

 private:
  void build_table() {
    vocab_size_ = raw_.model->size();
    for (const auto& t : raw_.added.tokens())
      if (raw_.model->token_to_id(t.content) < 0) ++vocab_size_;
  }

  // transformers 5 builds LlamaTokenizer(Fast) from the vocab and merges alone, with its own
  // Metaspace pre-tokenizer and byte fallback, keeping only tokenizer.json's post-processor and
  // the config's special tokens. We reproduce that view for encode_like_transformers.
  void maybe_build_transformers_view(const json& root, std::shared_ptr<const BpeTables> tables) {
    const std::string& cls = details_.tokenizer_class;
    if (!tables || (cls != "LlamaTokenizer" && cls != "LlamaTokenizerFast")) return;
    auto hf = std::make_unique<Pipeline>();
    BpeOptions o;
    o.byte_fallback = true;
    o.fuse_unk = true;
    o.unk_token = details_.config.unk_token;
    hf->model = std::make_shared<Bpe>(tables, o);
    const bool prefix = details_.add_prefix_space.value_or(true);
    const bool legacy = details_.legacy.value_or(false);
    hf->pre_tokenizer =
        make_metaspace("\xE2\x96\x81", prefix ? (legacy ? "always" : "first") : "never", false);
    std::int32_t next_id = static_cast<std::int32_t>(tables->id_to_token.size());
    auto add = [&](AddedToken t) {
      if (hf->added.id_of(t.content) >= 0) return;
      const std::int32_t v = hf->model->token_to_id(t.content);
      if (t.id < 0) t.id = v >= 0 ? v : next_id++;
      hf->added.add(std::move(t));
    };
    for (const auto& t : details_.added_tokens_decoder) add(t);
    for (auto t : details_.special_tokens) {
      t.special = true;
      add(t);
    }
    hf->added.build(nullptr);
    auto lookup = [p = hf.get()](const std::string& t) { return p->token_to_id(t); };
    const json& post = root.value("post_processor", json());
    if (!post.is_null()) {
      hf->post_processor = make_post_processor(post, lookup);
    } else {
      hf->post_processor = make_bos_eos_processor(*hf);
    }
    hf_ = std::move(hf);
    json dec = {
        {"type", "Sequence"},
        {"decoders",
         {{{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
          {{"type", "ByteFallback"}},
          {{"type", "Fuse"}}}}};
    if (prefix)
      dec["decoders"].push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
    hf_decoder_ = make_decoder(dec);
  }

  // transformers' update_post_processor: bos/eos as add_bos_token/add_eos_token ask.
  std::unique_ptr<PostProcessor> make_bos_eos_processor(const Pipeline& p) const {
    const auto& c = details_.config;
    json single = json::array();
    json specials = json::object();
    auto special = [&](const std::string& tok) {
      const std::int32_t id = p.token_to_id(tok);
      if (tok.empty() || id < 0) return false;
      single.push_back({{"SpecialToken", {{"id", tok}, {"type_id", 0}}}});
      specials[tok] = {{"id", tok}, {"ids", {id}}, {"tokens", {tok}}};
      return true;
    };
    if (c.add_bos_token.value_or(false)) special(c.bos_token);
    single.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
    if (c.add_eos_token.value_or(false)) special(c.eos_token);
    json j = {{"type", "TemplateProcessing"}, {"single", single}, {"special_tokens", specials}};
    return make_post_processor(j, [&p](const std::string& t) { return p.token_to_id(t); });
  }

  ConfigDetails details_;
  Pipeline raw_;
  std::unique_ptr<Pipeline> hf_;
  std::unique_ptr<Decoder> decoder_;
  std::unique_ptr<Decoder> hf_decoder_;
  bool is_bpe_ = false;  // transformers' rebuilt decoder, when it has one
  std::size_t vocab_size_ = 0;
};

// A folder with tokenizer.model and no tokenizer.json: the tokenizer.json equivalent of what
// transformers 5 builds for it (sentencepiece_convert.h), loaded like any other.
std::shared_ptr<Tokenizer> from_sentencepiece(const std::string& dir, const std::string& path) {
  auto proto = std::make_shared<const spm::ModelProto>(spm::read_model_proto(path));
  ConfigDetails details = load_tokenizer_config(dir);
  SpmTokenizerJson built = sentencepiece_to_tokenizer_json(std::move(proto), details, path);
  try {
    return std::make_shared<JsonTokenizer>(built.root, built.is_bpe ? &built.bpe : nullptr,
                                           std::move(details), true);
  } catch (const json::exception& e) {
    SWIFT_FAIL("[tokenizer] {} could not be turned into a tokenizer ({})", path,
               str::json_error_text(e.what()));
  }
}

}  // namespace

std::shared_ptr<Tokenizer> Tokenizer::from_dir(const std::string& dir) {
  SWIFT_CHECK(fs::is_dir(dir), "[tokenizer] {} is not a folder; pass the model/tokenizer folder",
              dir);
  const std::string path = fs::join(dir, "tokenizer.json");
  if (fs::kind_of(path) == "missing") {
    const std::string spm_path = fs::join(dir, "tokenizer.model");
    SWIFT_CHECK(fs::kind_of(spm_path) != "missing",
                "[tokenizer] {} has no tokenizer.json and no tokenizer.model; pass the "
                "model/tokenizer folder",
                dir);
    fs::require_file(spm_path, "[tokenizer]", "pass a folder with a real tokenizer.model");
    return from_sentencepiece(dir, spm_path);
  }
  fs::require_file(path, "[tokenizer]", "pass a folder with a real tokenizer.json");
  const auto size = fs::file_size(path);
  SWIFT_CHECK(size <= kMaxTokenizerJsonBytes, "[tokenizer] {} is {} bytes (max {})", path, size,
              kMaxTokenizerJsonBytes);
  const FileText file(path, size);
  const std::string_view text = file.view();
  // Depth, UTF-8 and NUL checks first: nlohmann copies nested values recursively, and a
  // normalizer Sequence nested 50,000 deep must be an error, not a stack overflow.
  str::check_json_text(text, "[tokenizer] " + path);
  // Fast path: vocab and merges scanned in place (most of the file). Anything it does not take,
  // and any error, goes through the full DOM parse below, which reports it as it always did.
  if (auto split = split_tokenizer_json(text)) {
    ConfigDetails details = load_tokenizer_config(dir);
    try {
      return std::make_shared<JsonTokenizer>(split->root, &split->bpe, std::move(details));
    } catch (const swift::Error&) {
    } catch (const json::exception&) {
    }
  }
  json root = json::parse(text.begin(), text.end(), nullptr, false);
  SWIFT_CHECK(!root.is_discarded(), "[tokenizer] {} is not valid JSON; re-download it", path);
  ConfigDetails details = load_tokenizer_config(dir);  // its own errors name its own files
  try {
    return std::make_shared<JsonTokenizer>(root, nullptr, std::move(details));
  } catch (const json::exception& e) {
    SWIFT_FAIL("[tokenizer] {} has an unexpected structure ({}); check the file", path,
               str::json_error_text(e.what()));
  }
}

std::vector<std::vector<std::int32_t>> Tokenizer::encode_batch(
    const std::vector<std::string>& texts, bool add_special_tokens, int threads) const {
  std::vector<std::vector<std::int32_t>> out(texts.size());
  std::size_t n = threads > 0 ? static_cast<std::size_t>(threads)
                              : std::max(1u, std::thread::hardware_concurrency());
  n = std::min(n, texts.size());
  if (n <= 1) {
    for (std::size_t k = 0; k < texts.size(); ++k) out[k] = encode(texts[k], add_special_tokens);
    return out;
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::exception_ptr> errors(n);
  std::vector<std::thread> pool;
  for (std::size_t w = 0; w < n; ++w) {
    pool.emplace_back([&, w] {
      try {
        for (std::size_t k; (k = next.fetch_add(1)) < texts.size();)
          out[k] = encode(texts[k], add_special_tokens);
      } catch (...) {
        errors[w] = std::current_exception();
        next = texts.size();
      }
    });
  }
  for (auto& t : pool) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return out;
}

std::vector<std::string> Tokenizer::id_to_token_table() const {
  std::vector<std::string> table;
  const std::size_t n = vocab_size();
  // Ids may be sparse: scan a little past the count so trailing added tokens are included.
  for (std::size_t id = 0; id < n + 1024; ++id) {
    std::string t = id_to_token(static_cast<std::int32_t>(id));
    if (!t.empty()) {
      table.resize(id + 1);
      table[id] = std::move(t);
    }
  }
  return table;
}

}  // namespace swift::tok
