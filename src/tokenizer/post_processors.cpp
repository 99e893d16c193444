// Post-processors of tokenizer.json (what add_special_tokens=true adds): TemplateProcessing,
// BertProcessing, RobertaProcessing, ByteLevel (ids unchanged), Sequence. Single sequences only:
// swift never encodes pairs.
#include <unordered_map>

#include "tokenizer/components.h"
#include "tokenizer/json_util.h"

namespace swift::tok {

using json_util::get_string;
using nlohmann::json;

namespace {

class Template : public PostProcessor {
 public:
  // Each element: a special-token id list, or empty with is_seq = true for $A.
  struct Item {
    bool is_seq = false;
    std::vector<std::int32_t> ids;
  };
  std::vector<Item> items;
  void process(std::vector<std::int32_t>& ids) const override {
    std::vector<std::int32_t> out;
    out.reserve(ids.size() + 4);
    for (const auto& it : items) {
      if (it.is_seq) {
        out.insert(out.end(), ids.begin(), ids.end());
      } else {
        out.insert(out.end(), it.ids.begin(), it.ids.end());
      }
    }
    ids.swap(out);
  }
};

class Wrap : public PostProcessor {
 public:
  Wrap(std::int32_t cls, std::int32_t sep) : cls_(cls), sep_(sep) {}
  void process(std::vector<std::int32_t>& ids) const override {
    ids.insert(ids.begin(), cls_);
    ids.push_back(sep_);
  }

 private:
  std::int32_t cls_, sep_;
};

class Identity : public PostProcessor {
 public:
  void process(std::vector<std::int32_t>&) const override {}
};

class SequencePost : public PostProcessor {
 public:
  std::vector<std::unique_ptr<PostProcessor>> items;
  void process(std::vector<std::int32_t>& ids) const override {
    for (const auto& p : items) p->process(ids);
  }
};

std::int32_t checked_id(const json& v, const char* where) {
  SWIFT_CHECK(v.is_number_integer(), "[tokenizer] {}: token id must be an integer, got {}", where,
              v.type_name());
  const auto id = v.get<std::int64_t>();
  SWIFT_CHECK(id >= 0 && id < (1 << 24), "[tokenizer] {}: token id {} is out of range", where, id);
  return static_cast<std::int32_t>(id);
}

std::pair<std::string, std::int32_t> token_pair(const json& j, const char* key, const char* where) {
  const json& v = json_util::field(j, key, where);
  SWIFT_CHECK(v.is_array() && v.size() == 2 && v[0].is_string(),
              "[tokenizer] {}.{} must be [token, id]", where, key);
  return {v[0].get<std::string>(), checked_id(v[1], where)};
}

std::unique_ptr<PostProcessor> make_template(
    const json& j, const std::function<std::int32_t(const std::string&)>& lookup) {
  const char* w = "TemplateProcessing";
  // special token name -> ids
  std::unordered_map<std::string, std::vector<std::int32_t>> specials;
  auto st = j.find("special_tokens");
  if (st != j.end() && !st->is_null()) {
    SWIFT_CHECK(st->is_object(), "[tokenizer] TemplateProcessing.special_tokens must be an object");
    for (auto it = st->begin(); it != st->end(); ++it) {
      const json* ids = json_util::get_array(it.value(), "ids", w);
      SWIFT_CHECK(ids, "[tokenizer] TemplateProcessing special token \"{}\" has no ids", it.key());
      std::vector<std::int32_t> v;
      for (const auto& x : *ids) v.push_back(checked_id(x, w));
      specials[it.key()] = std::move(v);
    }
  }
  auto tpl = std::make_unique<Template>();
  const json& single = json_util::field(j, "single", w);
  auto add_special = [&](const std::string& name) {
    auto it = specials.find(name);
    if (it != specials.end()) {
      tpl->items.push_back({false, it->second});
      return;
    }
    const std::int32_t id = lookup(name);
    SWIFT_CHECK(id >= 0, "[tokenizer] TemplateProcessing uses \"{}\", which is not a known token",
                name);
    tpl->items.push_back({false, {id}});
  };
  if (single.is_string()) {
    // "<s>:0 $A:0" style.
    std::string s = single.get<std::string>();
    std::size_t p = 0;
    while (p < s.size()) {
      std::size_t q = s.find(' ', p);
      if (q == std::string::npos) q = s.size();
      std::string piece = s.substr(p, q - p);
      p = q + 1;
      if (piece.empty()) continue;
      const auto colon = piece.rfind(':');
      if (colon != std::string::npos && colon > 0) piece = piece.substr(0, colon);
      if (piece == "$A" || piece == "$" || piece == "$0") {
        tpl->items.push_back({true, {}});
      } else {
        add_special(piece);
      }
    }
    return tpl;
  }
  SWIFT_CHECK(single.is_array(), "[tokenizer] TemplateProcessing.single must be a list");
  for (const auto& item : single) {
    SWIFT_CHECK(item.is_object(), "[tokenizer] TemplateProcessing.single items must be objects");
    if (item.contains("Sequence")) {
      tpl->items.push_back({true, {}});
    } else if (item.contains("SpecialToken")) {
      add_special(get_string(item["SpecialToken"], "id", w, "", true));
    } else {
      SWIFT_FAIL("[tokenizer] TemplateProcessing item {} is neither Sequence nor SpecialToken",
                 item.dump().substr(0, 100));
    }
  }
  return tpl;
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(
    const json& j, const std::function<std::int32_t(const std::string&)>& lookup) {
  if (j.is_null()) return nullptr;
  SWIFT_CHECK(j.is_object(), "[tokenizer] post_processor must be an object or null, got {}",
              j.type_name());
  const std::string type = get_string(j, "type", "post_processor", "", true);
  if (type == "TemplateProcessing") return make_template(j, lookup);
  if (type == "ByteLevel") return std::make_unique<Identity>();
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    const auto cls = token_pair(j, "cls", type.c_str());
    const auto sep = token_pair(j, "sep", type.c_str());
    return std::make_unique<Wrap>(cls.second, sep.second);
  }
  if (type == "Sequence") {
    auto seq = std::make_unique<SequencePost>();
    const json* list = json_util::get_array(j, "processors", "Sequence post_processor");
    SWIFT_CHECK(list, "[tokenizer] Sequence post_processor has no \"processors\" list");
    for (const auto& p : *list) {
      auto item = make_post_processor(p, lookup);
      if (item) seq->items.push_back(std::move(item));
    }
    return seq;
  }
  SWIFT_FAIL(
      "[tokenizer] unsupported post_processor type \"{}\"; supported: TemplateProcessing "
      "BertProcessing RobertaProcessing ByteLevel Sequence",
      type);
}

}  // namespace swift::tok
