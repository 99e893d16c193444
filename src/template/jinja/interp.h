// The tree-walking evaluator: scopes, statements, expressions and the resource limits every
// render runs under (recursion, range size, output bytes, wall time, total iterations).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "template/jinja/ast.h"
#include "template/jinja/value.h"

namespace swift::jinja {

struct Limits {
  std::size_t max_output_bytes = 16u << 20;  // also caps every intermediate string
  double max_seconds = 1.0;
  int max_recursion = 256;                 // macro / call nesting
  std::int64_t max_range = 100000;         // jinja2's sandbox MAX_RANGE
  std::int64_t max_items = 1000000;        // list built by `*` or filters
  std::int64_t max_iterations = 10000000;  // loop iterations + macro calls over the render
};

struct Scope {
  std::unordered_map<std::string, Value> vars;
  std::shared_ptr<Scope> parent;
  const Value* lookup(const std::string& name) const;
};
using ScopePtr = std::shared_ptr<Scope>;

class Interp {
 public:
  explicit Interp(const Limits& limits);

  // Renders `body` with `top` as the outermost scope (it should hold globals and context).
  std::string render(const Body& body, ScopePtr top);

  const Limits& limits() const { return limits_; }
  // Counts one unit of work and enforces the iteration and wall-time limits.
  void tick();
  // Fails when a string of `bytes` would exceed the output cap.
  void check_size(std::size_t bytes) const;
  void check_items(std::int64_t n) const;

  void track_namespace(const Value& ns) { namespaces_.push_back(ns.dict_ref().shared_from_this()); }

  Value call(const Value& callee, const CallArgs& args, int line);
  Value eval(const Expr& e, const ScopePtr& s);

 private:
  enum class Flow { kNormal, kBreak, kContinue };

  Flow exec(const Body& body, const ScopePtr& s);
  Flow exec_stmt(const Stmt& st, const ScopePtr& s);
  Flow exec_for(const Stmt& st, const ScopePtr& s);
  void exec_set(const Stmt& st, const ScopePtr& s);
  Value make_macro(const Stmt& st, const ScopePtr& s, const std::shared_ptr<const Stmt>& keep);
  std::string capture(const Body& body, const ScopePtr& s);
  Value apply_filters(const std::vector<ExprPtr>& filters, Value v, const ScopePtr& s);
  void write(const std::string& text);
  void assign(const ScopePtr& s, const std::vector<std::string>& targets, const Value& v, int line);

  Value eval_binary(const Expr& e, const ScopePtr& s);
  Value eval_compare(const Expr& e, const ScopePtr& s);
  CallArgs eval_args(const Expr& e, const ScopePtr& s, std::size_t first);

  Limits limits_;
  std::chrono::steady_clock::time_point deadline_;
  std::int64_t iterations_ = 0;
  int call_depth_ = 0;
  std::string* out_ = nullptr;
  std::vector<std::shared_ptr<Dict>> namespaces_;
};

// Builtins (builtins.cpp / methods.cpp).
Value apply_filter(
    Interp& in, const std::string& name, const Value& v, const CallArgs& args, int line);
bool apply_test(
    Interp& in, const std::string& name, const Value& v, const CallArgs& args, int line);
Value get_attr(Interp& in, const Value& obj, const std::string& name);
Value get_item(Interp& in, const Value& obj, const Value& key);
Value slice(Interp& in, const Value& obj, const Value& start, const Value& stop, const Value& step);
std::vector<Value> iterate(const Value& v, int line);
bool contains(const Value& container, const Value& item, int line);
void add_globals(Scope& scope);
std::string py_format_percent(Interp& in, const std::string& fmt, const Value& args);

}  // namespace swift::jinja
