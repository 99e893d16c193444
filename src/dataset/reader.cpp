// Dataset files and specifiers: `[hf::|ms::]id_or_path[:subsets][#N]`, .jsonl/.json/.csv/.txt
// readers that name file:line on malformed input, and #N sampling.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <numeric>
#include <random>
#include <sstream>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "dataset/dataset.h"
#include "dataset/internal.h"
#include "dataset/parquet/parquet.h"

namespace swift::dataset {

namespace {

using json = nlohmann::ordered_json;

std::vector<json> read_jsonl(const std::string& path, const std::string& text) {
  std::vector<json> rows;
  std::size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line_no == 1 && str::starts_with(line, "\xEF\xBB\xBF")) line = line.substr(3);  // BOM
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (str::trim(line).empty()) continue;
    if (!str::json_nesting_ok(line)) {
      rows.push_back(json{
          {"__swift_error__", fmt::format("nested deeper than {} levels", str::kMaxJsonNesting)},
          {"__swift_line__", line_no}});
      continue;
    }
    if (const std::size_t bad = str::utf8_error_offset(line); bad != std::string::npos) {
      rows.push_back(json{{"__swift_error__", fmt::format("not valid UTF-8 (byte {} of the line); "
                                                          "save the file as UTF-8",
                                                          bad + 1)},
                          {"__swift_line__", line_no}});
      continue;
    }
    json row = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (row.is_discarded()) {
      // Keep the line as a marker so lenient loading can count it as dropped with its line.
      rows.push_back(json{{"__swift_error__", "invalid JSON"}, {"__swift_line__", line_no}});
      continue;
    }
    if (row.is_object()) row["__swift_line__"] = line_no;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<json> read_csv(const std::string& path, const std::string& text, char sep) {
  // RFC 4180: quoted fields may hold commas, doubled quotes and newlines.
  std::vector<std::vector<std::string>> records;
  std::vector<std::size_t> record_lines;
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false, field_started = false;
  std::size_t line = 1, record_line = 1;
  auto end_field = [&] {
    fields.push_back(field);
    field.clear();
    field_started = false;
  };
  auto end_record = [&] {
    end_field();
    if (!(fields.size() == 1 && fields[0].empty())) {
      records.push_back(fields);
      record_lines.push_back(record_line);
    }
    fields.clear();
    record_line = line;
  };
  std::size_t start = str::starts_with(text, "\xEF\xBB\xBF") ? 3 : 0;
  for (std::size_t i = start; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == sep) {
      end_field();
    } else if (c == '\n') {
      ++line;
      end_record();
    } else if (c == '\r') {
      // CRLF: the \n ends the record.
    } else {
      field += c;
      field_started = true;
    }
  }
  SWIFT_CHECK(!quoted, "[dataset] {}:{}: unterminated quoted field", path, record_line);
  if (!field.empty() || !fields.empty()) end_record();
  std::vector<json> rows;
  if (records.empty()) return rows;
  const auto& header = records[0];
  for (std::size_t r = 1; r < records.size(); ++r) {
    SWIFT_CHECK(records[r].size() == header.size(),
                "[dataset] {}:{}: {} fields where the header has {}", path, record_lines[r],
                records[r].size(), header.size());
    json row = json::object();
    for (std::size_t c = 0; c < header.size(); ++c) row[header[c]] = records[r][c];
    row["__swift_line__"] = record_lines[r];
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

DatasetSpec parse_dataset_spec(const std::string& word) {
  SWIFT_CHECK(!word.empty(), "[dataset] empty --dataset entry");
  DatasetSpec spec;
  std::string rest = word;
  if (str::starts_with(rest, "hf::")) {
    spec.hub = "hf";
    rest = rest.substr(4);
  } else if (str::starts_with(rest, "ms::")) {
    spec.hub = "ms";
    rest = rest.substr(4);
  }
  if (fs::exists(rest)) {
    spec.name = rest;
    return spec;
  }
  auto hash = rest.rfind('#');
  if (hash != std::string::npos) {
    std::string n = rest.substr(hash + 1);
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(n.c_str(), &end, 10);
    SWIFT_CHECK(!n.empty() && end && *end == '\0' && errno == 0 && v >= 0,
                "[dataset] '{}': the part after # must be a row count, got '{}'", word, n);
    spec.sample = v;
    rest = rest.substr(0, hash);
  }
  if (!fs::exists(rest)) {
    auto colon = rest.rfind(':');
    if (colon != std::string::npos && colon > 0) {
      std::string subsets = rest.substr(colon + 1);
      rest = rest.substr(0, colon);
      for (const auto& s : str::split(subsets, '/'))
        if (!s.empty()) spec.subsets.push_back(s);
    }
  }
  spec.name = rest;
  return spec;
}

std::vector<json> read_rows(const std::string& path) {
  fs::require_file(path, "[dataset]",
                   "pass a .jsonl, .json, .csv, .tsv, .txt or .parquet dataset file");
  std::string l = str::lower(path);
  if (str::ends_with(l, ".parquet")) {
    std::vector<json> rows;
    parquet::Reader r(path);
    std::size_t i = 0;
    r.for_each_row([&](json&& row) {
      row["__swift_line__"] = ++i;
      rows.push_back(std::move(row));
    });
    return rows;
  }
  std::string text = fs::read_file(path);
  if (str::ends_with(l, ".jsonl")) return read_jsonl(path, text);
  if (str::ends_with(l, ".json")) {
    // Too deep to take whole: read it line by line, where a deep line is a bad row.
    if (!str::json_nesting_ok(text)) return read_jsonl(path, text);
    json root = json::parse(text, nullptr, false);
    if (root.is_discarded()) {
      // Many ".json" datasets are really JSON lines.
      return read_jsonl(path, text);
    }
    SWIFT_CHECK(root.is_array(), "[dataset] {}: expected a JSON list of rows", path);
    std::vector<json> rows;
    std::size_t i = 0;
    for (auto& r : root) {
      if (r.is_object()) r["__swift_line__"] = ++i;
      rows.push_back(r);
    }
    return rows;
  }
  if (str::ends_with(l, ".csv")) return read_csv(path, text, ',');
  if (str::ends_with(l, ".tsv")) return read_csv(path, text, '\t');
  if (str::ends_with(l, ".txt")) {
    std::vector<json> rows;
    std::size_t line_no = 0;
    for (auto& line : str::split(text, '\n')) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      rows.push_back(json{{"text", line}, {"__swift_line__", line_no}});
    }
    return rows;
  }
  SWIFT_FAIL("[dataset] {}: unsupported file type; use .jsonl, .json, .csv, .tsv, .txt or .parquet",
             path);
}

std::vector<json> sample_rows(std::vector<json> rows,
                              std::int64_t n,
                              bool shuffle,
                              std::uint64_t seed) {
  if (rows.empty() || n < 0) return rows;
  std::size_t size = rows.size();
  // #N repeats rows in memory: refuse an N whose copies cannot fit (estimated from the rows'
  // text size) before anything is copied, instead of exhausting memory first.
  if (static_cast<std::uint64_t>(n) > size) {
    std::uint64_t sample_bytes = 0;
    const std::size_t probe = std::min<std::size_t>(size, 64);
    for (std::size_t i = 0; i < probe; ++i) sample_bytes += rows[i].dump().size() + 64;
    const double per_row = 4.0 * static_cast<double>(sample_bytes) / static_cast<double>(probe);
    const double need = per_row * static_cast<double>(n);
    const double budget = 0.5 * static_cast<double>(::sysconf(_SC_PHYS_PAGES)) *
                          static_cast<double>(::sysconf(_SC_PAGE_SIZE));
    SWIFT_CHECK(need <= budget,
                "[dataset] #{} asks for {} rows from a dataset of {}: about {:.1f} GB in memory, "
                "more than this machine can hold; use a smaller #N",
                n, n, size, need / 1e9);
  }
  std::mt19937_64 rng(seed);
  std::vector<json> out;
  out.reserve(static_cast<std::size_t>(n));
  std::size_t repeats = static_cast<std::size_t>(n) / size;
  std::size_t extra = static_cast<std::size_t>(n) % size;
  for (std::size_t r = 0; r < repeats; ++r) out.insert(out.end(), rows.begin(), rows.end());
  std::vector<std::size_t> idx(size);
  std::iota(idx.begin(), idx.end(), 0);
  if (shuffle) std::shuffle(idx.begin(), idx.end(), rng);
  idx.resize(extra);
  for (auto i : idx) out.push_back(rows[i]);
  if (shuffle && repeats > 0) std::shuffle(out.begin(), out.end(), rng);
  return out;
}

}  // namespace swift::dataset
