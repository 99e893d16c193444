// Prometheus text exposition (metrics_text.h).
#include "serve/metrics_text.h"

#include <fmt/format.h>

#include <cmath>

#include "core/error.h"

namespace swift::serve {

namespace {

bool valid_name(std::string_view n, bool label) {
  if (n.empty()) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!label && c == ':');
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// HELP text escapes \ and newline; label values also escape ".
std::string escape(std::string_view s, bool quote) {
  std::string out;
  for (const char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (quote && c == '"')
      out += "\\\"";
    else
      out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);  // shortest round-trip form; integers have no fraction
}

}  // namespace

void MetricsText::family(std::string_view name, std::string_view help, std::string_view type) {
  // A bad metric name is a bug in the server, not something a user can cause.
  SWIFT_ASSERT(valid_name(name, false));
  for (const auto& f : families_)
    if (f.first == name) {
      SWIFT_ASSERT(f.second == type);  // one family, one type
      return;
    }
  families_.emplace_back(std::string(name), std::string(type));
  out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape(help, false), name, type);
}

void MetricsText::sample(std::string_view name, const MetricLabels& labels, double value) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      SWIFT_ASSERT(valid_name(labels[i].first, true));
      out_ +=
          fmt::format("{}{}=\"{}\"", i ? "," : "", labels[i].first, escape(labels[i].second, true));
    }
    out_ += '}';
  }
  out_ += ' ' + number(value) + '\n';
}

void MetricsText::counter(std::string_view name,
                          std::string_view help,
                          double value,
                          const MetricLabels& labels) {
  family(name, help, "counter");
  sample(name, labels, value);
}

void MetricsText::gauge(std::string_view name,
                        std::string_view help,
                        double value,
                        const MetricLabels& labels) {
  family(name, help, "gauge");
  sample(name, labels, value);
}

void MetricsText::histogram(std::string_view name,
                            std::string_view help,
                            const std::vector<double>& upper_bounds,
                            const std::vector<std::uint64_t>& bucket_counts,
                            double sum,
                            const MetricLabels& labels) {
  // One count per bucket plus the overflow bucket: the caller's own histogram layout.
  SWIFT_ASSERT(bucket_counts.size() == upper_bounds.size() + 1);
  family(name, help, "histogram");
  const std::string base(name);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= upper_bounds.size(); ++i) {
    total += bucket_counts[i];
    MetricLabels l = labels;
    l.emplace_back("le", i < upper_bounds.size() ? number(upper_bounds[i]) : "+Inf");
    sample(base + "_bucket", l, static_cast<double>(total));
  }
  sample(base + "_sum", labels, sum);
  sample(base + "_count", labels, static_cast<double>(total));
}

}  // namespace swift::serve
