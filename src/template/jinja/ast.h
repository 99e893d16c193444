// The parsed form of a template: expression and statement nodes. Nodes are shared_ptr so a
// macro value can keep its body alive while the template renders.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "template/jinja/value.h"

namespace swift::jinja {

struct Expr;
struct Stmt;
using ExprPtr = std::shared_ptr<Expr>;
using StmtPtr = std::shared_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class ExprKind {
  kLiteral,  // literal
  kName,     // name
  kList,     // args
  kTuple,    // args
  kDict,     // args = k0, v0, k1, v1, ...
  kGetAttr,  // args[0] . name
  kGetItem,  // args[0] [ args[1] ]
  kSlice,    // args[0] [ args[1] : args[2] : args[3] ] (null parts allowed)
  kCall,     // args[0] ( args[1..], kwargs )
  kFilter,   // args[0] | name ( args[1..], kwargs ); args[0] null inside a filter block
  kTest,     // args[0] is [not] name ( args[1..] )
  kUnary,    // name in {"-", "+", "not"} args[0]
  kBinary,   // args[0] name args[1]; name in + - * / // % ** ~ and or
  kCompare,  // args[0] ops[0] args[1] ops[1] args[2] ... (Python chaining)
  kCond,     // args[1] if args[0] else args[2] (args[2] may be null)
};

struct Expr {
  ExprKind kind;
  int line = 0;
  Value literal;
  std::string name;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;
  bool negated = false;
  int depth = 1;  // height of this subtree, bounded so evaluation cannot exhaust the stack
};

enum class StmtKind {
  kText,         // text
  kOutput,       // {{ expr }}
  kIf,           // conds[i] -> bodies[i]; bodies has one more entry when there is an else
  kFor,          // for targets in expr [if cond] body [else else_body]
  kSet,          // set targets (or targets[0].attr) = expr
  kSetBlock,     // set targets[0] [| filters] body endset
  kMacro,        // macro name(params) body
  kCallBlock,    // call(params) expr body endcall
  kFilterBlock,  // filter filters body endfilter
  kBreak,
  kContinue,
  kGeneration,  // transformers' {% generation %}: body rendered as is
  kWith,        // with targets = values body
};

struct Stmt {
  StmtKind kind;
  int line = 0;
  std::string text;
  std::string name;
  std::string attr;
  ExprPtr expr;
  ExprPtr cond;
  std::vector<ExprPtr> conds;
  std::vector<Body> bodies;
  std::vector<std::string> targets;
  std::vector<ExprPtr> values;
  std::vector<std::pair<std::string, ExprPtr>> params;
  std::vector<ExprPtr> filters;
  Body body;
  Body else_body;
  bool recursive = false;
};

}  // namespace swift::jinja
