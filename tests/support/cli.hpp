// A tiny command-line parser for tests/clients/stress_client.cpp, a test tool: `--name value`
// and `--flag` options, with defaults and a generated --help text. The programs users
// run (examples/, coronet-loadgen) use CLI11 (examples/common/command_line.hpp).
#pragma once

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace examples {

class cli {
 public:
  cli(std::string program, std::string summary)
      : program_(std::move(program)), summary_(std::move(summary)) {}

  // Declares `--name VALUE` with a default shown in --help.
  cli& option(std::string name, std::string fallback, std::string help) {
    specs_.push_back({name, fallback, std::move(help), false});
    values_[name] = std::move(fallback);
    return *this;
  }
  // Declares a `--name` switch.
  cli& flag(std::string name, std::string help) {
    specs_.push_back({name, "", std::move(help), true});
    return *this;
  }

  // Parses argv; prints help and exits 0 on --help, prints usage and exits 2 on errors.
  void parse(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string_view arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        usage(std::cout);
        std::exit(0);
      }
      if (!arg.starts_with("--")) fail("unexpected argument '" + std::string(arg) + "'");
      std::string name{arg.substr(2)};
      std::string value;
      bool inline_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
        inline_value = true;
      }
      const spec* s = find(name);
      if (s == nullptr) fail("unknown option --" + name);
      if (s->is_flag) {
        flags_[name] = true;
        continue;
      }
      if (!inline_value) {
        if (i + 1 >= argc) fail("--" + name + " needs a value");
        value = argv[++i];
      }
      values_[name] = value;
    }
  }

  const std::string& get(const std::string& name) const { return values_.at(name); }
  bool has(const std::string& name) const { return flags_.count(name) != 0; }

  long number(const std::string& name, long min, long max) const {
    const auto& text = get(name);
    char* end = nullptr;
    long v = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || v < min || v > max)
      fail("--" + name + " must be a number from " + std::to_string(min) + " to " +
           std::to_string(max));
    return v;
  }

  [[noreturn]] void fail(const std::string& message) const {
    std::cerr << program_ << ": " << message << "\n";
    usage(std::cerr);
    std::exit(2);
  }

 private:
  struct spec {
    std::string name, fallback, help;
    bool is_flag;
  };

  const spec* find(const std::string& name) const {
    for (const auto& s : specs_)
      if (s.name == name) return &s;
    return nullptr;
  }

  void usage(std::ostream& out) const {
    out << "usage: " << program_ << " [options]\n" << summary_ << "\n\noptions:\n";
    for (const auto& s : specs_) {
      std::string left = "  --" + s.name + (s.is_flag ? "" : " VALUE");
      out << left << std::string(left.size() < 26 ? 26 - left.size() : 1, ' ') << s.help;
      if (!s.is_flag && !s.fallback.empty()) out << " (default " << s.fallback << ")";
      out << "\n";
    }
    out << "  --help                  show this help\n";
  }

  std::string program_, summary_;
  std::vector<spec> specs_;
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> flags_;
};

}  // namespace examples
