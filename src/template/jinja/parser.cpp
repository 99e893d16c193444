// Parser: tokens -> AST with jinja2's precedence (or < and < not < comparisons < + - < ~ <
// * / // % < ** < unary; filters, tests, calls, attributes and subscripts bind tightest).
// Unsupported tags (extends, include, import, block, do) fail loudly at parse time.
#include "template/jinja/parser.h"

#include <cstdlib>

#include "core/error.h"
#include "template/jinja/lexer.h"

namespace swift::jinja {
namespace {

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

  Body parse_template() {
    std::string end;
    Body b = parse_body({}, &end);
    SWIFT_CHECK(cur().kind == Tok::kEof, "[jinja] line {}: unexpected '{}'", cur().line, end);
    return b;
  }

 private:
  // RAII nesting counter for expressions and blocks.
  struct Depth {
    explicit Depth(Parser& p) : p_(p) {
      SWIFT_CHECK(p_.depth_ < kMaxParseDepth,
                  "[jinja] line {}: template nested deeper than {} levels", p_.cur().line,
                  kMaxParseDepth);
      ++p_.depth_;
    }
    ~Depth() { --p_.depth_; }
    Parser& p_;
  };

  const Token& cur() const { return t_[i_]; }
  const Token& peek(std::size_t k = 1) const {
    return t_[i_ + k < t_.size() ? i_ + k : t_.size() - 1];
  }
  void next() {
    if (i_ + 1 < t_.size()) ++i_;
  }
  bool is_op(const char* op) const { return cur().kind == Tok::kOp && cur().text == op; }
  bool is_name(const char* n) const { return cur().kind == Tok::kName && cur().text == n; }
  bool accept_op(const char* op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool accept_name(const char* n) {
    if (!is_name(n)) return false;
    next();
    return true;
  }
  [[noreturn]] void fail(const std::string& what) const {
    std::string got = cur().kind == Tok::kEof        ? "end of template"
                      : cur().kind == Tok::kBlockEnd ? "end of tag"
                      : cur().kind == Tok::kVarEnd   ? "end of expression"
                                                     : "'" + cur().text + "'";
    SWIFT_FAIL("[jinja] line {}: expected {}, got {}", cur().line, what, got);
  }
  void expect_op(const char* op) {
    if (!accept_op(op)) fail(std::string("'") + op + "'");
  }
  std::string expect_name() {
    if (cur().kind != Tok::kName) fail("a name");
    std::string n = cur().text;
    next();
    return n;
  }
  void expect_block_end() {
    if (cur().kind != Tok::kBlockEnd) fail("'%}'");
    next();
  }

  // Left-associative chains (a+b+c..., x.a.b..., x|f|g...) are built iteratively but evaluated
  // recursively, so every node's height is bounded too.
  ExprPtr fin(ExprPtr e) {
    int h = 0;
    for (const auto& a : e->args)
      if (a && a->depth > h) h = a->depth;
    for (const auto& kv : e->kwargs)
      if (kv.second && kv.second->depth > h) h = kv.second->depth;
    e->depth = h + 1;
    SWIFT_CHECK(e->depth <= kMaxExprDepth,
                "[jinja] line {}: expression nested deeper than {} levels", e->line, kMaxExprDepth);
    return e;
  }

  ExprPtr make(ExprKind k, int line) {
    auto e = std::make_shared<Expr>();
    e->kind = k;
    e->line = line;
    return e;
  }

  // ---- statements ----------------------------------------------------------------------

  // Parses until a block tag whose name is in `ends`; leaves the stream after that name.
  Body parse_body(const std::vector<std::string>& ends, std::string* end_found) {
    Depth d(*this);
    Body body;
    while (true) {
      const Token& tk = cur();
      if (tk.kind == Tok::kEof) {
        if (ends.empty()) return body;
        SWIFT_FAIL("[jinja] unexpected end of template; missing '{{% {} %}}' to close a block",
                   ends.back());  // the closing tag is always listed last
      }
      if (tk.kind == Tok::kText) {
        auto s = std::make_shared<Stmt>();
        s->kind = StmtKind::kText;
        s->line = tk.line;
        s->text = tk.text;
        body.push_back(s);
        next();
      } else if (tk.kind == Tok::kVarBegin) {
        next();
        auto s = std::make_shared<Stmt>();
        s->kind = StmtKind::kOutput;
        s->line = tk.line;
        s->expr = parse_tuple_expr();
        if (cur().kind != Tok::kVarEnd) fail("'}}'");
        next();
        body.push_back(s);
      } else if (tk.kind == Tok::kBlockBegin) {
        next();
        if (cur().kind != Tok::kName) fail("a tag name");
        std::string name = cur().text;
        for (const auto& e : ends) {
          if (name == e) {
            next();
            *end_found = name;
            return body;
          }
        }
        body.push_back(parse_statement());
      } else {
        fail("text or a tag");
      }
    }
  }

  StmtPtr parse_statement() {
    int line = cur().line;
    std::string name = expect_name();
    auto s = std::make_shared<Stmt>();
    s->line = line;
    if (name == "if") return parse_if(s);
    if (name == "for") return parse_for(s);
    if (name == "set") return parse_set(s);
    if (name == "macro") return parse_macro(s);
    if (name == "call") return parse_call_block(s);
    if (name == "filter") {
      s->kind = StmtKind::kFilterBlock;
      parse_filter_chain(s->filters);
      expect_block_end();
      std::string end;
      s->body = parse_body({"endfilter"}, &end);
      expect_block_end();
      return s;
    }
    if (name == "generation") {
      s->kind = StmtKind::kGeneration;
      expect_block_end();
      std::string end;
      s->body = parse_body({"endgeneration"}, &end);
      expect_block_end();
      return s;
    }
    if (name == "with") {
      s->kind = StmtKind::kWith;
      while (cur().kind != Tok::kBlockEnd) {
        if (!s->targets.empty()) expect_op(",");
        s->targets.push_back(expect_name());
        expect_op("=");
        s->values.push_back(parse_expr());
      }
      expect_block_end();
      std::string end;
      s->body = parse_body({"endwith"}, &end);
      expect_block_end();
      return s;
    }
    if (name == "break" || name == "continue") {
      SWIFT_CHECK(loop_depth_ > 0, "[jinja] line {}: '{}' outside of a loop", line, name);
      s->kind = name == "break" ? StmtKind::kBreak : StmtKind::kContinue;
      expect_block_end();
      return s;
    }
    SWIFT_FAIL(
        "[jinja] line {}: unsupported or unknown tag '{}' (chat templates cannot extend, include "
        "or import other templates)",
        line, name);
  }

  StmtPtr parse_if(StmtPtr s) {
    s->kind = StmtKind::kIf;
    s->conds.push_back(parse_tuple_expr());
    expect_block_end();
    while (true) {
      std::string end;
      s->bodies.push_back(parse_body({"elif", "else", "endif"}, &end));
      if (end == "elif") {
        s->conds.push_back(parse_tuple_expr());
        expect_block_end();
      } else if (end == "else") {
        expect_block_end();
        s->bodies.push_back(parse_body({"endif"}, &end));
        expect_block_end();
        return s;
      } else {
        expect_block_end();
        return s;
      }
    }
  }

  void parse_targets(std::vector<std::string>& out) {
    bool paren = accept_op("(");
    out.push_back(expect_name());
    while (accept_op(",")) {
      if (paren && is_op(")")) break;
      if (cur().kind != Tok::kName) break;
      out.push_back(expect_name());
    }
    if (paren) expect_op(")");
  }

  StmtPtr parse_for(StmtPtr s) {
    s->kind = StmtKind::kFor;
    parse_targets(s->targets);
    if (!accept_name("in")) fail("'in'");
    s->expr = parse_cond_expr(false);  // `if` here filters the loop, not a ternary
    if (accept_name("if")) s->cond = parse_cond_expr(true);
    if (accept_name("recursive")) s->recursive = true;
    expect_block_end();
    ++loop_depth_;
    std::string end;
    s->body = parse_body({"else", "endfor"}, &end);
    --loop_depth_;
    if (end == "else") {
      expect_block_end();
      s->else_body = parse_body({"endfor"}, &end);
    }
    expect_block_end();
    return s;
  }

  StmtPtr parse_set(StmtPtr s) {
    s->targets.push_back(expect_name());
    if (accept_op(".")) {
      s->attr = expect_name();
    } else {
      while (accept_op(",")) s->targets.push_back(expect_name());
    }
    if (accept_op("=")) {
      s->kind = StmtKind::kSet;
      s->expr = parse_tuple_expr();
      expect_block_end();
      return s;
    }
    SWIFT_CHECK(s->targets.size() == 1 && s->attr.empty(),
                "[jinja] line {}: a block set takes one plain name", s->line);
    s->kind = StmtKind::kSetBlock;
    if (accept_op("|")) parse_filter_chain(s->filters);
    expect_block_end();
    std::string end;
    s->body = parse_body({"endset"}, &end);
    expect_block_end();
    return s;
  }

  void parse_params(std::vector<std::pair<std::string, ExprPtr>>& params) {
    expect_op("(");
    while (!accept_op(")")) {
      if (!params.empty()) expect_op(",");
      if (accept_op(")")) break;
      std::string n = expect_name();
      ExprPtr def;
      if (accept_op("=")) def = parse_expr();
      params.emplace_back(n, def);
    }
  }

  StmtPtr parse_macro(StmtPtr s) {
    s->kind = StmtKind::kMacro;
    s->name = expect_name();
    parse_params(s->params);
    expect_block_end();
    int saved = loop_depth_;
    loop_depth_ = 0;
    std::string end;
    s->body = parse_body({"endmacro"}, &end);
    loop_depth_ = saved;
    if (cur().kind == Tok::kName) next();  // {% endmacro name %}
    expect_block_end();
    return s;
  }

  StmtPtr parse_call_block(StmtPtr s) {
    s->kind = StmtKind::kCallBlock;
    if (is_op("(")) parse_params(s->params);
    s->expr = parse_expr();
    SWIFT_CHECK(s->expr->kind == ExprKind::kCall, "[jinja] line {}: call block needs a call",
                s->line);
    expect_block_end();
    std::string end;
    s->body = parse_body({"endcall"}, &end);
    expect_block_end();
    return s;
  }

  void parse_filter_chain(std::vector<ExprPtr>& out) {
    bool first = true;
    while (first || accept_op("|")) {
      first = false;
      out.push_back(parse_filter(nullptr));
    }
  }

  // ---- expressions ---------------------------------------------------------------------

  // A top-level expression where a bare comma makes a tuple (`{% set a = 1, 2 %}`).
  ExprPtr parse_tuple_expr() {
    int line = cur().line;
    ExprPtr e = parse_expr();
    if (!is_op(",")) return e;
    auto t = make(ExprKind::kTuple, line);
    t->args.push_back(e);
    while (accept_op(",")) {
      if (cur().kind == Tok::kBlockEnd || cur().kind == Tok::kVarEnd) break;
      t->args.push_back(parse_expr());
    }
    return fin(t);
  }

  ExprPtr parse_expr() { return parse_cond_expr(true); }

  ExprPtr parse_cond_expr(bool allow_cond) {
    Depth d(*this);
    int line = cur().line;
    ExprPtr e = parse_or();
    while (allow_cond && is_name("if")) {
      next();
      auto c = make(ExprKind::kCond, line);
      c->args.push_back(parse_or());
      c->args.insert(c->args.begin() + 1, e);
      c->args.push_back(accept_name("else") ? parse_cond_expr(true) : nullptr);
      e = fin(c);
    }
    return e;
  }

  ExprPtr binary(const std::string& op, ExprPtr l, ExprPtr r, int line) {
    auto b = make(ExprKind::kBinary, line);
    b->name = op;
    b->args = {std::move(l), std::move(r)};
    return fin(b);
  }

  ExprPtr parse_or() {
    int line = cur().line;
    ExprPtr e = parse_and();
    while (accept_name("or")) e = binary("or", e, parse_and(), line);
    return e;
  }

  ExprPtr parse_and() {
    int line = cur().line;
    ExprPtr e = parse_not();
    while (accept_name("and")) e = binary("and", e, parse_not(), line);
    return e;
  }

  ExprPtr parse_not() {
    int line = cur().line;
    if (accept_name("not")) {
      Depth d(*this);
      auto u = make(ExprKind::kUnary, line);
      u->name = "not";
      u->args.push_back(parse_not());
      return fin(u);
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    int line = cur().line;
    ExprPtr e = parse_math1();
    ExprPtr cmp;
    while (true) {
      std::string op;
      if (cur().kind == Tok::kOp &&
          (cur().text == "==" || cur().text == "!=" || cur().text == "<" || cur().text == "<=" ||
           cur().text == ">" || cur().text == ">=")) {
        op = cur().text;
        next();
      } else if (is_name("in")) {
        op = "in";
        next();
      } else if (is_name("not") && peek().kind == Tok::kName && peek().text == "in") {
        op = "not in";
        next();
        next();
      } else {
        break;
      }
      if (!cmp) {
        cmp = make(ExprKind::kCompare, line);
        cmp->args.push_back(e);
      }
      cmp->ops.push_back(op);
      cmp->args.push_back(parse_math1());
    }
    return cmp ? fin(cmp) : e;
  }

  ExprPtr parse_math1() {
    int line = cur().line;
    ExprPtr e = parse_concat();
    while (is_op("+") || is_op("-")) {
      std::string op = cur().text;
      next();
      e = binary(op, e, parse_concat(), line);
    }
    return e;
  }

  ExprPtr parse_concat() {
    int line = cur().line;
    ExprPtr e = parse_math2();
    while (accept_op("~")) e = binary("~", e, parse_math2(), line);
    return e;
  }

  ExprPtr parse_math2() {
    int line = cur().line;
    ExprPtr e = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      std::string op = cur().text;
      next();
      e = binary(op, e, parse_pow(), line);
    }
    return e;
  }

  ExprPtr parse_pow() {
    int line = cur().line;
    ExprPtr e = parse_unary(true);
    while (accept_op("**")) e = binary("**", e, parse_unary(true), line);
    return e;
  }

  ExprPtr parse_unary(bool with_filter) {
    Depth d(*this);
    int line = cur().line;
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      auto u = make(ExprKind::kUnary, line);
      u->name = cur().text;
      next();
      u->args.push_back(parse_unary(false));
      e = fin(u);
    } else {
      e = parse_primary();
    }
    e = parse_postfix(e);
    if (with_filter) e = parse_filter_expr(e);
    return e;
  }

  ExprPtr parse_primary() {
    const Token& tk = cur();
    int line = tk.line;
    if (tk.kind == Tok::kName) {
      std::string n = tk.text;
      next();
      auto lit = make(ExprKind::kLiteral, line);
      if (n == "true" || n == "True") {
        lit->literal = Value(true);
      } else if (n == "false" || n == "False") {
        lit->literal = Value(false);
      } else if (n == "none" || n == "None") {
        lit->literal = Value::none();
      } else {
        auto nm = make(ExprKind::kName, line);
        nm->name = n;
        return nm;
      }
      return lit;
    }
    if (tk.kind == Tok::kString) {
      std::string s;
      while (cur().kind == Tok::kString) {  // adjacent literals concatenate
        s += cur().text;
        next();
      }
      auto lit = make(ExprKind::kLiteral, line);
      lit->literal = Value(std::move(s));
      return lit;
    }
    if (tk.kind == Tok::kInt) {
      auto lit = make(ExprKind::kLiteral, line);
      errno = 0;
      char* end = nullptr;
      long long v = std::strtoll(tk.text.c_str(), &end, 10);
      SWIFT_CHECK(errno != ERANGE, "[jinja] line {}: integer literal {} is too large", line,
                  tk.text);
      lit->literal = Value(static_cast<std::int64_t>(v));
      next();
      return lit;
    }
    if (tk.kind == Tok::kFloat) {
      auto lit = make(ExprKind::kLiteral, line);
      lit->literal = Value(std::strtod(tk.text.c_str(), nullptr));
      next();
      return lit;
    }
    if (accept_op("(")) {
      if (accept_op(")")) return make(ExprKind::kTuple, line);
      ExprPtr e = parse_expr();
      if (!is_op(",")) {
        expect_op(")");
        return e;
      }
      auto t = make(ExprKind::kTuple, line);
      t->args.push_back(e);
      while (accept_op(",")) {
        if (is_op(")")) break;
        t->args.push_back(parse_expr());
      }
      expect_op(")");
      return fin(t);
    }
    if (accept_op("[")) {
      auto l = make(ExprKind::kList, line);
      while (!accept_op("]")) {
        if (!l->args.empty()) expect_op(",");
        if (accept_op("]")) break;
        l->args.push_back(parse_expr());
      }
      return fin(l);
    }
    if (accept_op("{")) {
      auto d = make(ExprKind::kDict, line);
      while (!accept_op("}")) {
        if (!d->args.empty()) expect_op(",");
        if (accept_op("}")) break;
        d->args.push_back(parse_expr());
        expect_op(":");
        d->args.push_back(parse_expr());
      }
      return fin(d);
    }
    fail("an expression");
  }

  ExprPtr parse_postfix(ExprPtr e) {
    while (true) {
      int line = cur().line;
      if (accept_op(".")) {
        auto a = make(ExprKind::kGetAttr, line);
        if (cur().kind == Tok::kInt) {  // foo.0 is foo[0]
          a->kind = ExprKind::kGetItem;
          auto idx = make(ExprKind::kLiteral, line);
          idx->literal =
              Value(static_cast<std::int64_t>(std::strtoll(cur().text.c_str(), nullptr, 10)));
          next();
          a->args = {e, idx};
        } else {
          a->name = expect_name();
          a->args = {e};
        }
        e = fin(a);
      } else if (accept_op("[")) {
        e = parse_subscript(e, line);
      } else if (is_op("(")) {
        e = parse_call(e);
      } else {
        return e;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr obj, int line) {
    Depth d(*this);
    ExprPtr parts[3];
    int colons = 0;
    if (!is_op(":")) parts[0] = parse_expr();
    while (colons < 2 && accept_op(":")) {
      ++colons;
      if (!is_op(":") && !is_op("]")) parts[colons] = parse_expr();
    }
    expect_op("]");
    if (colons == 0) {
      auto g = make(ExprKind::kGetItem, line);
      g->args = {obj, parts[0]};
      return fin(g);
    }
    auto s = make(ExprKind::kSlice, line);
    s->args = {obj, parts[0], parts[1], parts[2]};
    return fin(s);
  }

  void parse_call_args(Expr& e) {
    expect_op("(");
    bool first = true;
    while (!accept_op(")")) {
      if (!first) expect_op(",");
      first = false;
      if (accept_op(")")) break;
      SWIFT_CHECK(!is_op("*") && !is_op("**"),
                  "[jinja] line {}: *args / **kwargs in calls are not supported", cur().line);
      if (cur().kind == Tok::kName && peek().kind == Tok::kOp && peek().text == "=") {
        std::string k = cur().text;
        next();
        next();
        e.kwargs.emplace_back(k, parse_expr());
      } else {
        e.args.push_back(parse_expr());
      }
    }
  }

  ExprPtr parse_call(ExprPtr callee) {
    Depth d(*this);
    auto c = make(ExprKind::kCall, cur().line);
    c->args.push_back(callee);
    parse_call_args(*c);
    return fin(c);
  }

  ExprPtr parse_filter(ExprPtr input) {
    Depth d(*this);
    auto f = make(ExprKind::kFilter, cur().line);
    f->name = expect_name();
    while (accept_op(".")) f->name += "." + expect_name();
    f->args.push_back(input);
    if (is_op("(")) parse_call_args(*f);
    return fin(f);
  }

  ExprPtr parse_filter_expr(ExprPtr e) {
    while (true) {
      if (accept_op("|")) {
        e = parse_filter(e);
      } else if (is_name("is")) {
        next();
        Depth d(*this);
        auto t = make(ExprKind::kTest, cur().line);
        t->negated = accept_name("not");
        t->name = expect_name();
        while (accept_op(".")) t->name += "." + expect_name();
        t->args.push_back(e);
        if (is_op("(")) {
          parse_call_args(*t);
        } else if ((cur().kind == Tok::kName || cur().kind == Tok::kString ||
                    cur().kind == Tok::kInt || cur().kind == Tok::kFloat || is_op("[") ||
                    is_op("{")) &&
                   !is_name("else") && !is_name("or") && !is_name("and") && !is_name("if") &&
                   !is_name("in") && !is_name("not")) {
          t->args.push_back(parse_postfix(parse_primary()));
        }
        e = fin(t);
      } else if (is_op("(")) {
        e = parse_call(e);
      } else {
        return e;
      }
    }
  }

  std::vector<Token> t_;
  std::size_t i_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Body parse(std::string_view src) {
  return Parser(lex(src)).parse_template();
}

}  // namespace swift::jinja
