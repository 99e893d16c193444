// The Prometheus text exposition format (version 0.0.4) for GET /metrics: counters, gauges and
// histograms, each family introduced once by its # HELP and # TYPE lines, label values escaped.
//
//   MetricsText m;
//   m.counter("swift_requests_total", "Requests answered.", 42, {{"route",
//   "/v1/chat/completions"}}); m.histogram("swift_ttft_seconds", "Time to first token.", {0.1, 1},
//   {3, 5, 1}, 4.2); response.set_content(m.text(), kMetricsContentType);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace swift::serve {

inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class MetricsText {
 public:
  // Several series of one family (different labels) share its HELP/TYPE lines, which must then
  // agree. Names must match [a-zA-Z_:][a-zA-Z0-9_:]* (a programmer error otherwise).
  void counter(std::string_view name,
               std::string_view help,
               double value,
               const MetricLabels& labels = {});
  void gauge(std::string_view name,
             std::string_view help,
             double value,
             const MetricLabels& labels = {});
  // bucket_counts[i]: observations in (upper_bounds[i-1], upper_bounds[i]]; one more entry for
  // those above the last bound. Written cumulatively as _bucket{le=...}, then _sum and _count.
  void histogram(std::string_view name,
                 std::string_view help,
                 const std::vector<double>& upper_bounds,
                 const std::vector<std::uint64_t>& bucket_counts,
                 double sum,
                 const MetricLabels& labels = {});

  const std::string& text() const { return out_; }

 private:
  void family(std::string_view name, std::string_view help, std::string_view type);
  void sample(std::string_view name, const MetricLabels& labels, double value);
  std::string out_;
  std::vector<std::pair<std::string, std::string>> families_;  // name -> type
};

}  // namespace swift::serve
