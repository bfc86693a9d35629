// examples/basics in the docs: the code blocks in README.md and docs/ are the files
// (regions between "// [snippet:NAME]" and "// [snippet:end]", shown after a
// "<!-- snippet: FILE#NAME -->" line).
#include "process.hpp"
#include "support.hpp"

#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace coronet;
using namespace coronet::test;

namespace {

namespace fs = std::filesystem;

const fs::path source_dir{CORONET_SOURCE_DIR};

std::string read_text(const fs::path& path) {
  std::ifstream in{path, std::ios::binary};
  REQUIRE_MESSAGE(in, "cannot open " << path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The lines between "// [snippet:NAME]" and the next "// [snippet:end]", each ending in
// '\n'; nullopt when the region is missing or never ends.
std::optional<std::string> snippet_region(const std::string& source, const std::string& name) {
  const auto lines = split_lines(source);
  std::optional<std::string> text;
  for (const auto& line : lines) {
    if (!text) {
      if (line == "// [snippet:" + name + "]") text.emplace();
      continue;
    }
    if (line == "// [snippet:end]") return text;
    *text += line + '\n';
  }
  return std::nullopt;
}

struct marked_block {
  std::string doc;                  // relative to the source directory
  std::string target;               // FILE#NAME
  std::optional<std::string> code;  // nullopt: no fenced block right after the marker
};

// Every fenced block that follows a "<!-- snippet: FILE#NAME -->" line in `doc`.
std::vector<marked_block> marked_blocks(const std::string& doc) {
  static const std::regex marker{R"(^<!-- snippet: (\S+#\S+) -->$)"};
  const auto lines = split_lines(read_text(source_dir / doc));
  std::vector<marked_block> blocks;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (!std::regex_match(lines[i], m, marker)) continue;
    marked_block block{doc, m[1].str(), std::nullopt};
    if (i + 1 < lines.size() && lines[i + 1].starts_with("```")) {
      std::string code;
      std::size_t j = i + 2;
      for (; j < lines.size() && lines[j] != "```"; ++j)
        code += lines[j] + '\n';
      if (j < lines.size()) block.code = std::move(code);
    }
    blocks.push_back(std::move(block));
  }
  return blocks;
}

}  // namespace

TEST_SUITE("basics") {
  TEST_CASE("the code blocks in README.md and docs/ marked as snippets are the example files") {
    std::vector<marked_block> blocks;
    std::vector<std::string> docs{"README.md"};
    for (const auto& entry : fs::directory_iterator{source_dir / "docs"})
      if (entry.path().extension() == ".md")
        docs.push_back("docs/" + entry.path().filename().string());
    for (const auto& doc : docs)
      for (auto& block : marked_blocks(doc))
        blocks.push_back(std::move(block));

    // The places that show the tiny_* programs: none may lose its marker unnoticed.
    const std::vector<std::pair<std::string, std::string>> expected{
        {"README.md", "examples/basics/tiny_echo.cpp#tiny_echo"},
        {"docs/getting-started.md", "examples/basics/tiny_echo.cpp#tiny_echo"},
        {"docs/getting-started.md", "examples/basics/tiny_line_client.cpp#tiny_line_client"},
        {"docs/framing.md", "examples/basics/tiny_line_reverser.cpp#tiny_line_reverser"},
        {"docs/json.md", "examples/basics/tiny_json_orders.cpp#tiny_json_orders"},
        {"docs/json.md", "examples/basics/tiny_json_kv.cpp#tiny_json_kv"},
        {"docs/json.md", "examples/basics/tiny_json_kv_client.cpp#tiny_json_kv_client"},
        {"docs/rpc.md", "examples/basics/tiny_rpc.cpp#tiny_rpc"},
        {"docs/rpc.md", "examples/basics/tiny_rpc_client.cpp#tiny_rpc_client"},
    };
    // No structured bindings here: CAPTURE takes references in a lambda, and clang 14
    // cannot capture a structured binding.
    for (const auto& entry : expected) {
      const std::string& doc = entry.first;
      const std::string& target = entry.second;
      CAPTURE(doc);
      CAPTURE(target);
      bool found = false;
      for (const auto& b : blocks)
        found = found || (b.doc == doc && b.target == target);
      CHECK(found);
    }

    for (const auto& block : blocks) {
      CAPTURE(block.doc);
      CAPTURE(block.target);
      REQUIRE_MESSAGE(block.code, "the marker is not followed by a fenced code block");
      const auto hash = block.target.find('#');
      const auto file = block.target.substr(0, hash);
      const auto region =
          snippet_region(read_text(source_dir / file), block.target.substr(hash + 1));
      REQUIRE_MESSAGE(region, "no '// [snippet:NAME]' ... '// [snippet:end]' region in " << file);
      CHECK(*block.code == *region);
    }
  }
}
