#include "yaml_limits.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <map>
#include <sstream>
#include <vector>

#include "noisegraph/host/graph_io.hpp"

namespace ng::host {

namespace {

class CountingHandler : public YAML::EventHandler {
 public:
  explicit CountingHandler(std::string file) : file_(std::move(file)) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string&) override {
    leaf(mark, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = sizes_.find(anchor);
    add(it == sizes_.end() ? 1 : it->second, mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    YAML::anchor_t anchor;
    std::size_t start;
  };

  [[noreturn]] void fail(const std::string& code, const std::string& message, const YAML::Mark& mark,
                         const std::string& hint = {}) const {
    throw GraphError(Problem{file_, mark.line + 1, mark.column + 1, {}, code, message, hint});
  }
  void add(std::size_t n, const YAML::Mark& mark) {
    count_ += n;
    if (count_ > kMaxGraphNodes)
      fail("too_large",
           "document has more than " + std::to_string(kMaxGraphNodes) + " YAML nodes (aliases counted expanded)", mark,
           "graph files are small; if this one uses anchors and aliases, remove them");
  }
  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    add(1, mark);
    if (anchor) sizes_[anchor] = 1;
  }
  void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    add(1, mark);
    stack_.push_back({anchor, count_});
    if (int(stack_.size()) > kMaxGraphDepth)
      fail("too_deep", "nesting deeper than " + std::to_string(kMaxGraphDepth) + " levels", mark);
  }
  void close() {
    const Frame f = stack_.back();
    stack_.pop_back();
    if (f.anchor) sizes_[f.anchor] = count_ - f.start + 1;
  }

  std::string file_;
  std::size_t count_ = 0;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, std::size_t> sizes_;
};

}  // namespace

void check_yaml_limits(const std::string& text, const std::string& file) {
  std::istringstream in(text);
  CountingHandler handler(file);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(handler)) {
    }
  } catch (const YAML::DeepRecursion& e) {
    throw GraphError(Problem{file, e.mark.line + 1, e.mark.column + 1, {}, "too_deep",
                             "nesting deeper than the YAML reader allows (" + std::to_string(e.depth()) + " levels)", {}});
  } catch (const YAML::ParserException& e) {
    throw GraphError(Problem{file, e.mark.line + 1, e.mark.column + 1, {}, "yaml_syntax", "YAML syntax error: " + e.msg, {}});
  }
}

}  // namespace ng::host
