// GET /v1/models and GET /metrics (Prometheus text, vLLM's families under the swift: prefix).
#include "serve/metrics_text.h"
#include "serve/server_internal.h"

namespace swift::serve {

void handle_models(Server::State& st, const httplib::Request&, httplib::Response& res) {
  st.send_json(res, models_json(st.served, st.created, st.options.owned_by), "/v1/models");
}

void handle_metrics(Server::State& st, const httplib::Request&, httplib::Response& res) {
  const WorkerStats ws = st.worker->stats();
  MetricsText m;
  const MetricLabels model{{"model_name", st.served.name}};
  m.gauge("swift:num_requests_running", "Sequences in the engine's running batch.",
          static_cast<double>(ws.engine.running), model);
  m.gauge("swift:num_requests_waiting", "Requests queued for the engine.",
          static_cast<double>(ws.engine.waiting + ws.inbox), model);
  m.gauge("swift:num_requests_in_flight", "Requests accepted and not yet answered.",
          static_cast<double>(ws.in_flight), model);
  const double used = static_cast<double>(ws.engine.kv_blocks - ws.engine.kv_free_blocks);
  m.gauge("swift:kv_cache_blocks_used", "KV cache blocks held by sequences.", used, model);
  m.gauge("swift:kv_cache_blocks_total", "KV cache blocks allocated.",
          static_cast<double>(ws.engine.kv_blocks), model);
  m.gauge("swift:kv_cache_usage_perc", "Fraction of the allocated KV cache blocks in use.",
          ws.engine.kv_blocks > 0 ? used / static_cast<double>(ws.engine.kv_blocks) : 0.0, model);
  m.counter("swift:engine_steps_total", "Engine forward steps.",
            static_cast<double>(ws.engine.steps), model);
  m.counter("swift:num_preemptions_total", "Sequences preempted for KV blocks (recomputed later).",
            static_cast<double>(ws.engine.preemptions), model);
  m.counter("swift:prefix_shared_tokens_total",
            "Prompt tokens n > 1 choices shared instead of prefilling again.",
            static_cast<double>(ws.engine.prefix_shared_tokens), model);
  m.counter("swift:request_cancelled_total", "Requests cancelled (client gone or shutdown).",
            static_cast<double>(ws.cancelled), model);
  std::lock_guard<std::mutex> lock(st.metrics.mu);
  m.counter("swift:prompt_tokens_total", "Prompt tokens of finished requests.",
            static_cast<double>(st.metrics.prompt_tokens), model);
  m.counter("swift:generation_tokens_total", "Generated tokens of finished requests.",
            static_cast<double>(st.metrics.generation_tokens), model);
  for (const auto& [reason, count] : st.metrics.finished) {
    MetricLabels l = model;
    l.emplace_back("finished_reason", reason);
    m.counter("swift:request_success_total", "Finished choices by finish reason.",
              static_cast<double>(count), l);
  }
  for (const auto& [key, count] : st.metrics.requests) {
    m.counter("swift:http_requests_total", "HTTP requests answered, by route and status.",
              static_cast<double>(count),
              {{"route", key.first}, {"status", std::to_string(key.second)}});
  }
  m.histogram("swift:time_to_first_token_seconds", "Time from arrival to the first token.",
              st.metrics.ttft.bounds, st.metrics.ttft.counts, st.metrics.ttft.sum, model);
  m.histogram("swift:e2e_request_latency_seconds", "Time from arrival to the last token.",
              st.metrics.e2e.bounds, st.metrics.e2e.counts, st.metrics.e2e.sum, model);
  res.status = 200;
  res.set_content(m.text(), kMetricsContentType);
}

}  // namespace swift::serve
