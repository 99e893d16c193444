// Statement execution and expression evaluation with jinja2's scoping: `if` shares its scope,
// every loop iteration, macro call and `with` gets a child scope (so plain `set` inside a loop
// does not leak; namespace() is the way out, as in jinja2). Limits are enforced here.
#include "template/jinja/interp.h"

#include <cmath>

#include "core/error.h"

namespace swift::jinja {

const Value* Scope::lookup(const std::string& name) const {
  for (const Scope* s = this; s; s = s->parent.get()) {
    auto it = s->vars.find(name);
    if (it != s->vars.end()) return &it->second;
  }
  return nullptr;
}

Interp::Interp(const Limits& limits) : limits_(limits) {}

void Interp::tick() {
  SWIFT_CHECK(++iterations_ <= limits_.max_iterations,
              "[jinja] template exceeded {} loop iterations/calls; it does not terminate in time",
              limits_.max_iterations);
  if ((iterations_ & 15) == 0 && std::chrono::steady_clock::now() > deadline_) {
    SWIFT_FAIL("[jinja] template rendering exceeded {} s; the template is too slow or loops",
               limits_.max_seconds);
  }
}

void Interp::check_size(std::size_t bytes) const {
  SWIFT_CHECK(bytes <= limits_.max_output_bytes,
              "[jinja] template output exceeds the {}-byte limit", limits_.max_output_bytes);
  // Building big strings is where time goes when no loop ticks: check the clock there too.
  if (bytes >= (64u << 10) && std::chrono::steady_clock::now() > deadline_) {
    SWIFT_FAIL("[jinja] template rendering exceeded {} s; the template is too slow or loops",
               limits_.max_seconds);
  }
}

void Interp::check_items(std::int64_t n) const {
  SWIFT_CHECK(n >= 0 && n <= limits_.max_items, "[jinja] sequence of {} items exceeds the limit {}",
              n, limits_.max_items);
}

std::string Interp::render(const Body& body, ScopePtr top) {
  deadline_ = std::chrono::steady_clock::now() +
              std::chrono::microseconds(static_cast<std::int64_t>(limits_.max_seconds * 1e6));
  iterations_ = 0;
  call_depth_ = 0;
  std::string result;
  out_ = &result;
  struct Cleanup {
    Interp& in;
    ~Cleanup() {
      // Namespaces are the only mutable containers, so clearing them breaks any reference cycle
      // a template built (`set ns.me = ns`).
      for (auto& d : in.namespaces_) {
        d->entries.clear();
        d->index.clear();
      }
      in.namespaces_.clear();
      in.out_ = nullptr;
    }
  } cleanup{*this};
  exec(body, top);
  return result;
}

void Interp::write(const std::string& text) {
  check_size(out_->size() + text.size());
  out_->append(text);
  if ((++iterations_ & 255) == 0) tick();
}

std::string Interp::capture(const Body& body, const ScopePtr& s) {
  std::string buf;
  std::string* saved = out_;
  out_ = &buf;
  try {
    exec(body, s);
  } catch (...) {
    out_ = saved;
    throw;
  }
  out_ = saved;
  return buf;
}

Interp::Flow Interp::exec(const Body& body, const ScopePtr& s) {
  for (const auto& st : body) {
    Flow f = exec_stmt(*st, s);
    if (f != Flow::kNormal) return f;
  }
  return Flow::kNormal;
}

void Interp::assign(const ScopePtr& s,
                    const std::vector<std::string>& targets,
                    const Value& v,
                    int line) {
  if (targets.size() == 1) {
    s->vars[targets[0]] = v;
    return;
  }
  std::vector<Value> items = iterate(v, line);
  SWIFT_CHECK(items.size() == targets.size(),
              "[jinja] line {}: cannot unpack {} values into {} names", line, items.size(),
              targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) s->vars[targets[i]] = items[i];
}

Value Interp::apply_filters(const std::vector<ExprPtr>& filters, Value v, const ScopePtr& s) {
  for (const auto& f : filters) {
    CallArgs args = eval_args(*f, s, 1);
    v = apply_filter(*this, f->name, v, args, f->line);
  }
  return v;
}

Interp::Flow Interp::exec_stmt(const Stmt& st, const ScopePtr& s) {
  switch (st.kind) {
    case StmtKind::kText:
      write(st.text);
      return Flow::kNormal;
    case StmtKind::kOutput:
      write(to_str(eval(*st.expr, s)));
      return Flow::kNormal;
    case StmtKind::kIf:
      for (std::size_t i = 0; i < st.conds.size(); ++i)
        if (eval(*st.conds[i], s).truthy()) return exec(st.bodies[i], s);
      if (st.bodies.size() > st.conds.size()) return exec(st.bodies.back(), s);
      return Flow::kNormal;
    case StmtKind::kFor:
      return exec_for(st, s);
    case StmtKind::kSet:
      exec_set(st, s);
      return Flow::kNormal;
    case StmtKind::kSetBlock:
      s->vars[st.targets[0]] = apply_filters(st.filters, Value(capture(st.body, s)), s);
      return Flow::kNormal;
    case StmtKind::kMacro: {
      // The macro keeps a non-owning reference: the template's AST outlives every render.
      s->vars[st.name] = make_macro(st, s, nullptr);
      return Flow::kNormal;
    }
    case StmtKind::kCallBlock: {
      auto caller_stmt = std::make_shared<Stmt>();
      caller_stmt->kind = StmtKind::kMacro;
      caller_stmt->name = "caller";
      caller_stmt->params = st.params;
      caller_stmt->body = st.body;
      Value caller = make_macro(*caller_stmt, s, caller_stmt);
      const Expr& call = *st.expr;
      Value callee = eval(*call.args[0], s);
      CallArgs args = eval_args(call, s, 1);
      args.kw.emplace_back("caller", caller);
      write(to_str(this->call(callee, args, st.line)));
      return Flow::kNormal;
    }
    case StmtKind::kFilterBlock:
      write(to_str(apply_filters(st.filters, Value(capture(st.body, s)), s)));
      return Flow::kNormal;
    case StmtKind::kBreak:
      return Flow::kBreak;
    case StmtKind::kContinue:
      return Flow::kContinue;
    case StmtKind::kGeneration:
      return exec(st.body, s);
    case StmtKind::kWith: {
      auto inner = std::make_shared<Scope>();
      inner->parent = s;
      for (std::size_t i = 0; i < st.targets.size(); ++i)
        inner->vars[st.targets[i]] = eval(*st.values[i], s);
      return exec(st.body, inner);
    }
  }
  return Flow::kNormal;
}

void Interp::exec_set(const Stmt& st, const ScopePtr& s) {
  Value v = eval(*st.expr, s);
  if (st.attr.empty()) {
    assign(s, st.targets, v, st.line);
    return;
  }
  const Value* obj = s->lookup(st.targets[0]);
  SWIFT_CHECK(obj && obj->is_dict() && obj->dict_ref().is_namespace,
              "[jinja] line {}: cannot assign attribute on non-namespace object '{}'", st.line,
              st.targets[0]);
  obj->dict_ref().set(Value(st.attr), v);
}

Interp::Flow Interp::exec_for(const Stmt& st, const ScopePtr& s) {
  SWIFT_CHECK(!st.recursive, "[jinja] line {}: recursive loops are not supported", st.line);
  std::vector<Value> items = iterate(eval(*st.expr, s), st.line);
  if (st.cond) {
    // `for x in xs if cond`: filtered before the loop, so loop.length counts kept items.
    std::vector<Value> kept;
    for (auto& it : items) {
      tick();
      auto probe = std::make_shared<Scope>();
      probe->parent = s;
      assign(probe, st.targets, it, st.line);
      if (eval(*st.cond, probe).truthy()) kept.push_back(std::move(it));
    }
    items = std::move(kept);
  }
  if (items.empty()) return exec(st.else_body, s);
  const auto n = static_cast<std::int64_t>(items.size());
  for (std::int64_t i = 0; i < n; ++i) {
    tick();
    auto inner = std::make_shared<Scope>();
    inner->parent = s;
    Value loop = Value::dict();
    Dict& d = loop.dict_ref();
    d.set(Value("index"), Value(i + 1));
    d.set(Value("index0"), Value(i));
    d.set(Value("revindex"), Value(n - i));
    d.set(Value("revindex0"), Value(n - i - 1));
    d.set(Value("first"), Value(i == 0));
    d.set(Value("last"), Value(i == n - 1));
    d.set(Value("length"), Value(n));
    d.set(Value("depth"), Value(1));
    d.set(Value("depth0"), Value(0));
    d.set(Value("previtem"), i > 0 ? items[i - 1] : Value::undefined("no previous item"));
    d.set(Value("nextitem"), i + 1 < n ? items[i + 1] : Value::undefined("no next item"));
    d.set(Value("cycle"), Value::func("cycle", [i](Interp&, const CallArgs& a) -> Value {
            SWIFT_CHECK(!a.pos.empty(), "[jinja] loop.cycle() needs at least one value");
            return a.pos[static_cast<std::size_t>(i) % a.pos.size()];
          }));
    inner->vars["loop"] = loop;
    assign(inner, st.targets, items[i], st.line);
    Flow f = exec(st.body, inner);
    if (f == Flow::kBreak) break;
  }
  return Flow::kNormal;
}

Value Interp::make_macro(const Stmt& st,
                         const ScopePtr& s,
                         const std::shared_ptr<const Stmt>& keep) {
  const Stmt* def = &st;
  // Weak: the defining scope holds the macro, so a strong reference would be a cycle.
  std::weak_ptr<Scope> weak_closure = s;
  return Value::func(st.name, [def, weak_closure, keep](Interp& in, const CallArgs& args) -> Value {
    SWIFT_CHECK(in.call_depth_ < in.limits_.max_recursion,
                "[jinja] macro '{}' nested deeper than {} calls (runaway recursion?)", def->name,
                in.limits_.max_recursion);
    in.tick();
    ScopePtr closure = weak_closure.lock();
    SWIFT_CHECK(closure, "[jinja] macro '{}' called after the block that defined it ended",
                def->name);
    auto scope = std::make_shared<Scope>();
    scope->parent = closure;
    std::size_t npos = 0;
    std::vector<Value> extra;
    for (const auto& [name, def_expr] : def->params) {
      bool set = false;
      for (const auto& [k, v] : args.kw) {
        if (k == name) {
          scope->vars[name] = v;
          set = true;
        }
      }
      if (!set && npos < args.pos.size()) {
        scope->vars[name] = args.pos[npos++];
        set = true;
      }
      if (!set) {
        scope->vars[name] = def_expr ? in.eval(*def_expr, scope) : Value::undefined();
      }
    }
    for (; npos < args.pos.size(); ++npos) extra.push_back(args.pos[npos]);
    scope->vars["varargs"] = Value::list(std::move(extra), true);
    Value kwargs = Value::dict();
    for (const auto& [k, v] : args.kw) {
      bool is_param = k == "caller";
      for (const auto& p : def->params) is_param = is_param || p.first == k;
      if (k == "caller") scope->vars["caller"] = v;
      if (!is_param) kwargs.dict_ref().set(Value(k), v);
    }
    scope->vars["kwargs"] = kwargs;
    ++in.call_depth_;
    std::string out;
    try {
      out = in.capture(def->body, scope);
    } catch (...) {
      --in.call_depth_;
      throw;
    }
    --in.call_depth_;
    return Value(std::move(out));
  });
}

Value Interp::call(const Value& callee, const CallArgs& args, int line) {
  if (callee.is_func()) return callee.func_ref().fn(*this, args);
  if (callee.is_undefined()) {
    const std::string& hint = callee.undef_hint();
    SWIFT_FAIL("[jinja] line {}: {}", line, hint.empty() ? "called an undefined value" : hint);
  }
  SWIFT_FAIL("[jinja] line {}: '{}' object is not callable", line, callee.type_name());
}

CallArgs Interp::eval_args(const Expr& e, const ScopePtr& s, std::size_t first) {
  CallArgs a;
  for (std::size_t i = first; i < e.args.size(); ++i) a.pos.push_back(eval(*e.args[i], s));
  for (const auto& [k, v] : e.kwargs) a.kw.emplace_back(k, eval(*v, s));
  return a;
}

Value Interp::eval(const Expr& e, const ScopePtr& s) {
  switch (e.kind) {
    case ExprKind::kLiteral:
      return e.literal;
    case ExprKind::kName: {
      const Value* v = s->lookup(e.name);
      return v ? *v : Value::undefined("'" + e.name + "' is undefined");
    }
    case ExprKind::kList:
    case ExprKind::kTuple: {
      std::vector<Value> items;
      for (const auto& a : e.args) items.push_back(eval(*a, s));
      return Value::list(std::move(items), e.kind == ExprKind::kTuple);
    }
    case ExprKind::kDict: {
      Value d = Value::dict();
      for (std::size_t i = 0; i + 1 < e.args.size(); i += 2)
        d.dict_ref().set(eval(*e.args[i], s), eval(*e.args[i + 1], s));
      return d;
    }
    case ExprKind::kGetAttr: {
      Value obj = eval(*e.args[0], s);
      SWIFT_CHECK(!obj.is_undefined(), "[jinja] line {}: {}", e.line,
                  obj.undef_hint().empty() ? "attribute '" + e.name + "' of an undefined value"
                                           : obj.undef_hint());
      return get_attr(*this, obj, e.name);
    }
    case ExprKind::kGetItem: {
      Value obj = eval(*e.args[0], s);
      SWIFT_CHECK(!obj.is_undefined(), "[jinja] line {}: {}", e.line,
                  obj.undef_hint().empty() ? std::string("subscript of an undefined value")
                                           : obj.undef_hint());
      return get_item(*this, obj, eval(*e.args[1], s));
    }
    case ExprKind::kSlice: {
      Value obj = eval(*e.args[0], s);
      SWIFT_CHECK(
          !obj.is_undefined(), "[jinja] line {}: {}", e.line,
          obj.undef_hint().empty() ? std::string("slice of an undefined value") : obj.undef_hint());
      Value parts[3];
      for (int k = 0; k < 3; ++k)
        parts[k] = e.args[k + 1] ? eval(*e.args[k + 1], s) : Value::none();
      return slice(*this, obj, parts[0], parts[1], parts[2]);
    }
    case ExprKind::kCall: {
      Value callee = eval(*e.args[0], s);
      return call(callee, eval_args(e, s, 1), e.line);
    }
    case ExprKind::kFilter: {
      Value in = eval(*e.args[0], s);
      return apply_filter(*this, e.name, in, eval_args(e, s, 1), e.line);
    }
    case ExprKind::kTest: {
      Value in = eval(*e.args[0], s);
      bool r = apply_test(*this, e.name, in, eval_args(e, s, 1), e.line);
      return Value(e.negated ? !r : r);
    }
    case ExprKind::kUnary: {
      Value v = eval(*e.args[0], s);
      if (e.name == "not") return Value(!v.truthy());
      SWIFT_CHECK(v.is_number(), "[jinja] line {}: bad operand type for unary {}: '{}'", e.line,
                  e.name, v.type_name());
      if (e.name == "+") return v.is_float() ? v : Value(v.as_int());
      if (v.is_float()) return Value(-v.as_double());
      SWIFT_CHECK(v.as_int() != INT64_MIN, "[jinja] line {}: integer overflow", e.line);
      return Value(-v.as_int());
    }
    case ExprKind::kBinary:
      return eval_binary(e, s);
    case ExprKind::kCompare:
      return eval_compare(e, s);
    case ExprKind::kCond: {
      if (eval(*e.args[0], s).truthy()) return eval(*e.args[1], s);
      return e.args[2] ? eval(*e.args[2], s) : Value::undefined("the conditional had no else");
    }
  }
  return Value::undefined();
}

Value Interp::eval_compare(const Expr& e, const ScopePtr& s) {
  Value left = eval(*e.args[0], s);
  for (std::size_t i = 0; i < e.ops.size(); ++i) {
    Value right = eval(*e.args[i + 1], s);
    const std::string& op = e.ops[i];
    bool r;
    if (op == "==") {
      r = equals(left, right);
    } else if (op == "!=") {
      r = !equals(left, right);
    } else if (op == "in") {
      r = contains(right, left, e.line);
    } else if (op == "not in") {
      r = !contains(right, left, e.line);
    } else {
      SWIFT_CHECK(!left.is_undefined() && !right.is_undefined(),
                  "[jinja] line {}: comparison with an undefined value", e.line);
      if (op == "<")
        r = less_than(left, right);
      else if (op == "<=")
        r = !less_than(right, left);
      else if (op == ">")
        r = less_than(right, left);
      else
        r = !less_than(left, right);
    }
    if (!r) return Value(false);
    left = std::move(right);
  }
  return Value(true);
}

namespace {

[[noreturn]] void bad_operands(const std::string& op, const Value& a, const Value& b, int line) {
  if (a.is_undefined() || b.is_undefined()) {
    const std::string& h = a.is_undefined() ? a.undef_hint() : b.undef_hint();
    SWIFT_FAIL("[jinja] line {}: {}", line,
               h.empty() ? "operation '" + op + "' on an undefined value" : h);
  }
  SWIFT_FAIL("[jinja] line {}: unsupported operand type(s) for {}: '{}' and '{}'", line, op,
             a.type_name(), b.type_name());
}

// Integers are 64-bit here (Python's are unbounded): overflow is an error, never a wrap.
std::int64_t checked_op(char op, std::int64_t a, std::int64_t b, int line) {
  std::int64_t r = 0;
  bool overflow = op == '+'   ? __builtin_add_overflow(a, b, &r)
                  : op == '-' ? __builtin_sub_overflow(a, b, &r)
                              : __builtin_mul_overflow(a, b, &r);
  SWIFT_CHECK(!overflow, "[jinja] line {}: integer overflow (values beyond 64 bits)", line);
  return r;
}

double py_floor_mod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

}  // namespace

Value Interp::eval_binary(const Expr& e, const ScopePtr& s) {
  const std::string& op = e.name;
  Value a = eval(*e.args[0], s);
  if (op == "and") return a.truthy() ? eval(*e.args[1], s) : a;
  if (op == "or") return a.truthy() ? a : eval(*e.args[1], s);
  Value b = eval(*e.args[1], s);
  int line = e.line;
  if (op == "~") {
    std::string l = to_str(a), r = to_str(b);
    check_size(l.size() + r.size());
    return Value(l + r);
  }
  bool nums = a.is_number() && b.is_number();
  bool ints = nums && !a.is_float() && !b.is_float();
  if (op == "+") {
    if (ints) return Value(checked_op('+', a.as_int(), b.as_int(), line));
    if (nums) return Value(a.as_double() + b.as_double());
    if (a.is_string() && b.is_string()) {
      check_size(a.str_ref().size() + b.str_ref().size());
      return Value(a.str_ref() + b.str_ref());
    }
    if (a.is_list() && b.is_list() && a.list_ref().tuple == b.list_ref().tuple) {
      check_items(static_cast<std::int64_t>(a.list_ref().items.size() + b.list_ref().items.size()));
      std::vector<Value> items = a.list_ref().items;
      items.insert(items.end(), b.list_ref().items.begin(), b.list_ref().items.end());
      return Value::list(std::move(items), a.list_ref().tuple);
    }
    bad_operands(op, a, b, line);
  }
  if (op == "-") {
    if (ints) return Value(checked_op('-', a.as_int(), b.as_int(), line));
    if (nums) return Value(a.as_double() - b.as_double());
    bad_operands(op, a, b, line);
  }
  if (op == "*") {
    if (ints) return Value(checked_op('*', a.as_int(), b.as_int(), line));
    if (nums) return Value(a.as_double() * b.as_double());
    const Value* seq = a.is_string() || a.is_list() ? &a : &b;
    const Value* cnt = seq == &a ? &b : &a;
    if ((seq->is_string() || seq->is_list()) && cnt->is_number() && !cnt->is_float()) {
      std::int64_t n = std::max<std::int64_t>(0, cnt->as_int());
      if (seq->is_string()) {
        const std::string& str = seq->str_ref();
        if (!str.empty()) {
          SWIFT_CHECK(n <= static_cast<std::int64_t>(limits_.max_output_bytes / str.size()),
                      "[jinja] line {}: string repetition exceeds the {}-byte limit", line,
                      limits_.max_output_bytes);
        }
        std::string out;
        out.reserve(str.size() * static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i) out += str;
        return Value(std::move(out));
      }
      const auto& items = seq->list_ref().items;
      if (!items.empty()) {
        SWIFT_CHECK(n <= limits_.max_items / static_cast<std::int64_t>(items.size()),
                    "[jinja] line {}: list repetition exceeds {} items", line, limits_.max_items);
      }
      std::vector<Value> out;
      for (std::int64_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
      return Value::list(std::move(out), seq->list_ref().tuple);
    }
    bad_operands(op, a, b, line);
  }
  if (op == "%" && a.is_string()) return Value(py_format_percent(*this, a.str_ref(), b));
  SWIFT_CHECK(nums, "[jinja] line {}: unsupported operand type(s) for {}: '{}' and '{}'", line, op,
              a.type_name(), b.type_name());
  if (op == "/") {
    SWIFT_CHECK(b.as_double() != 0, "[jinja] line {}: division by zero", line);
    return Value(a.as_double() / b.as_double());
  }
  if (op == "//" || op == "%") {
    if (ints) {
      std::int64_t x = a.as_int(), y = b.as_int();
      SWIFT_CHECK(y != 0, "[jinja] line {}: integer division or modulo by zero", line);
      SWIFT_CHECK(!(x == INT64_MIN && y == -1), "[jinja] line {}: integer overflow", line);
      std::int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) --q, m += y;
      return Value(op == "//" ? q : m);
    }
    double x = a.as_double(), y = b.as_double();
    SWIFT_CHECK(y != 0, "[jinja] line {}: float division or modulo by zero", line);
    if (op == "%") return Value(py_floor_mod(x, y));
    return Value(std::floor(x / y));
  }
  if (op == "**") {
    if (ints && b.as_int() >= 0) {
      std::int64_t base = a.as_int(), exp = b.as_int(), acc = 1;
      while (exp > 0) {
        if (exp & 1) acc = checked_op('*', acc, base, line);
        exp >>= 1;
        if (exp > 0) base = checked_op('*', base, base, line);
      }
      return Value(acc);
    }
    return Value(std::pow(a.as_double(), b.as_double()));
  }
  bad_operands(op, a, b, line);
}

}  // namespace swift::jinja
