// The argument machinery: every argument is declared once (type, name, default, choices, help)
// in an X-macro table under src/args/defs/, and that one declaration drives parsing
// (`--key value`, `--key=value`, lists, bools, JSON dicts), `--help`, `--show_args`, args.json
// and config files. A name declared again by a more specific group overrides the default of the
// earlier declaration (as a derived ms-swift dataclass does); both members then stay in sync.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace swift::args {

using Str = std::string;
using OptStr = std::optional<std::string>;
using Int = std::int64_t;
using OptInt = std::optional<std::int64_t>;
using Float = double;
using OptFloat = std::optional<double>;
using Bool = bool;
using OptBool = std::optional<bool>;
using StrList = std::vector<std::string>;
using Json = nlohmann::json;

enum class ArgType {
  kStr,
  kOptStr,
  kInt,
  kOptInt,
  kFloat,
  kOptFloat,
  kBool,
  kOptBool,
  kStrList,
  kJson
};

const char* arg_type_name(ArgType t);  // "STR", "INT", ... as shown in --help

// One assignment from the command line or a config file, before conversion.
struct Assignment {
  std::string key;                  // as written, without leading dashes
  std::vector<std::string> values;  // empty for a bare `--flag`
  bool is_null = false;             // YAML/JSON null: reset to None
  std::string origin;               // "command line" or the config file path, for errors
};

class ArgSet {
 public:
  explicit ArgSet(std::string command) : command_(std::move(command)) {}

  void add(Str& v, const char* name, const char* choices, const char* help, const char* group);
  void add(OptStr& v, const char* name, const char* choices, const char* help, const char* group);
  void add(Int& v, const char* name, const char* choices, const char* help, const char* group);
  void add(OptInt& v, const char* name, const char* choices, const char* help, const char* group);
  void add(Float& v, const char* name, const char* choices, const char* help, const char* group);
  void add(OptFloat& v, const char* name, const char* choices, const char* help, const char* group);
  void add(Bool& v, const char* name, const char* choices, const char* help, const char* group);
  void add(OptBool& v, const char* name, const char* choices, const char* help, const char* group);
  void add(StrList& v, const char* name, const char* choices, const char* help, const char* group);
  void add(Json& v, const char* name, const char* choices, const char* help, const char* group);

  // `--old` is accepted as `--new` (e.g. train_type -> tuner_type).
  void add_alias(const std::string& alias, const std::string& name);

  // Applies assignments in order (later ones win). Throws swift::Error naming the argument and
  // what it accepts; an unknown key names the closest known one.
  void apply(const std::vector<Assignment>& assignments);

  bool has(const std::string& name) const { return fields_.count(canonical(name)) > 0; }
  bool was_set(const std::string& name) const;  // given on the command line or in a config
  // Current values of every argument as JSON (null for None), in declaration order.
  nlohmann::ordered_json to_json() const;
  // Sets one argument from JSON (e.g. values restored from args.json).
  void set_json(const std::string& name, const nlohmann::json& value);
  // Changes an argument's default (value and the text --help shows) before parsing.
  void set_default(const std::string& name, const nlohmann::json& value);
  std::string help_text(const std::string& usage) const;
  std::vector<std::string> names() const;
  const std::string& command() const { return command_; }

 private:
  struct Field {
    std::string name;
    ArgType type;
    std::vector<void*> targets;  // every member declared under this name
    std::string default_text;
    std::vector<std::string> choices;
    std::string help;
    std::string group;
    bool set = false;
  };
  Field& declare(void* ptr,
                 ArgType type,
                 const char* name,
                 const char* choices,
                 const char* help,
                 const char* group);
  void assign(Field& f, const Assignment& a);
  template <class T>
  void store(Field& f, const T& value);
  nlohmann::json value_json(const Field& f) const;
  std::string canonical(const std::string& key) const;

  std::string command_;
  std::vector<Field> fields_list_;
  std::map<std::string, std::size_t> fields_;
  std::map<std::string, std::string> aliases_;
};

// Splits argv (after the subcommand) into assignments: `--key v1 v2`, `--key=value`, `--flag`.
// A leading positional *.yaml/*.yml/*.json is a config file (see config_file.h); any other
// positional argument is an error.
struct CommandLine {
  std::optional<std::string> config_file;
  std::vector<Assignment> assignments;
  bool help = false;
};
CommandLine split_command_line(const std::vector<std::string>& argv);

}  // namespace swift::args
