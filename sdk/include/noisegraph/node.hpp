#pragma once
/// @file node.hpp
/// Describing a node type: its ports, parameters and the function that runs it.
///
/// A node type is described first (id, version, ports, parameters with ranges and docs)
/// and the host validates every graph against that description before anything runs.
/// Write one like this:
///
/// @code
///   ng::NodeSpec spec("image.blend", {1, 0});
///   spec.display("Blend images").category("image").describe("Mixes two images.")
///       .input("a", ng::type::Image).input("b", ng::type::Image)
///       .output("image", ng::type::Image)
///       .param("factor", 0.5).range(0.0, 1.0).step(0.05).describe("0 = a, 1 = b");
///   spec.run([](ng::NodeCall& call) {
///     double f = call.param_float("factor");
///     call.set("image", call.tensor("a") * (1 - f) + call.tensor("b") * f);
///   });
///   registrar.add(std::move(spec));
/// @endcode
///
/// Versions: a graph saved with node version X.Y loads with any installed X.Z (Z >= Y).
/// Adding a parameter is a minor bump and its default must reproduce the old behaviour;
/// anything else that changes results is a major bump.
#include <c10/util/Exception.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "noisegraph/context.hpp"
#include "noisegraph/error.hpp"
#include "noisegraph/types.hpp"
#include "noisegraph/values.hpp"

namespace ng {

struct NodeVersion {
  int major = 1;
  int minor = 0;
};

enum class ParamKind { Int, Float, Bool, String, Enum, Seed, Path };

/// What a Path parameter names, and whether the node reads or writes it. The host checks
/// every Path value against one rule before anything runs (see docs/graph-format.md,
/// "Files a graph may touch"):
///  - reads resolve against the graph's folder, then the model search path, and must name
///    an existing regular file (or folder for ReadFolder): never a FIFO, device or socket;
///  - writes resolve inside the output folder: absolute paths, `..` and symlinks that
///    leave it are refused.
/// Control characters are refused everywhere. An empty value means "none" and is not
/// checked (the node decides whether it needs one).
enum class PathRole { ReadFile, ReadFolder, ReadFileOrFolder, WriteFile, WriteFolder };

/// A parameter's value. Int holds int64_t, Seed holds uint64_t (0 to 2^64-1, as ComfyUI
/// allows), Float holds double, Bool holds bool, String, Enum and Path hold std::string.
/// param_types.hpp reads and writes them as text (the one type table of the project).
using ParamValue = std::variant<int64_t, double, bool, std::string, uint64_t>;

struct ParamSpec {
  std::string name;
  ParamKind kind = ParamKind::Int;
  ParamValue default_value = int64_t{0};
  std::optional<double> min, max;   ///< inclusive bounds for Int, Float, Seed
  std::optional<double> step;       ///< UI increment
  std::vector<std::string> choices; ///< allowed values for Enum
  std::string description;
  bool multiline = false;           ///< String shown as a text box (prompts)
  PathRole path_role = PathRole::ReadFile;  ///< for Path parameters
  bool writes() const { return kind == ParamKind::Path && (path_role == PathRole::WriteFile || path_role == PathRole::WriteFolder); }
  bool names_folder() const { return path_role == PathRole::ReadFolder || path_role == PathRole::WriteFolder; }
  bool names_file() const { return path_role == PathRole::ReadFile || path_role == PathRole::WriteFile; }
};

struct PortSpec {
  std::string name;
  std::string type;      ///< see types.hpp
  bool optional = false; ///< inputs only
  std::string description;
  /// Inputs only: any number of links, on ports named NAME_1, NAME_2, ... (see
  /// NodeSpec::variadic_input and NodeCall::inputs_of).
  bool variadic = false;
};

/// N when `port` is `base`_N with N >= 1 written without leading zeros, else 0.
inline int variadic_index(const std::string& port, const std::string& base) {
  if (port.size() < base.size() + 2 || port.compare(0, base.size(), base) != 0 || port[base.size()] != '_') return 0;
  const std::string digits = port.substr(base.size() + 1);
  if (digits.empty() || digits.size() > 6 || digits[0] == '0') return 0;
  for (char c : digits)
    if (c < '0' || c > '9') return 0;
  return std::stoi(digits);
}

class NodeCall;

/// Outcome of running a node, produced inside the plugin so no exception crosses out.
struct RunResult {
  enum class Status { Ok, Failed, Cancelled };
  Status status = Status::Ok;
  std::string message;
};

/// The first line of a LibTorch error message (its later lines are call sites and
/// internal assertions), prefixed "out of memory: " for allocation failures.
inline std::string one_line_torch_message(const std::string& message) {
  std::string line = message.substr(0, message.find('\n'));
  const bool oom = line.find("not enough memory") != std::string::npos ||
                   line.find("out of memory") != std::string::npos ||
                   line.find("DefaultCPUAllocator") != std::string::npos;
  if (oom && line.rfind("out of memory", 0) != 0) line = "out of memory: " + line;
  return line;
}

/// The description of a node type and the function that runs it.
class NodeSpec {
 public:
  using RunFn = std::function<RunResult(NodeCall&)>;

  NodeSpec(std::string id, NodeVersion version) : id_(std::move(id)), version_(version) {}

  NodeSpec& display(std::string name) { display_ = std::move(name); return *this; }
  NodeSpec& category(std::string c) { category_ = std::move(c); return *this; }
  /// Describes the node, or the port/parameter added last.
  NodeSpec& describe(std::string text) {
    if (last_ == Last::Node) description_ = std::move(text);
    else if (last_ == Last::Input) inputs_.back().description = std::move(text);
    else if (last_ == Last::Output) outputs_.back().description = std::move(text);
    else params_.back().description = std::move(text);
    return *this;
  }
  /// Marks this node as an output (it writes files or shows results). Only nodes
  /// upstream of output nodes run.
  NodeSpec& output_node(bool yes = true) { output_node_ = yes; return *this; }

  NodeSpec& input(std::string name, std::string type) {
    inputs_.push_back({std::move(name), std::move(type), false, {}});
    last_ = Last::Input;
    return *this;
  }
  NodeSpec& optional_input(std::string name, std::string type) {
    inputs_.push_back({std::move(name), std::move(type), true, {}});
    last_ = Last::Input;
    return *this;
  }
  /// An input that takes any number of links (joining batches, combining lists): the
  /// graph connects them as NAME_1, NAME_2, ... and the node reads them in that order with
  /// NodeCall::inputs_of(NAME). None connected is allowed; the node decides whether it
  /// needs some.
  NodeSpec& variadic_input(std::string name, std::string type) {
    inputs_.push_back({std::move(name), std::move(type), true, {}, true});
    last_ = Last::Input;
    return *this;
  }
  NodeSpec& output(std::string name, std::string type) {
    outputs_.push_back({std::move(name), std::move(type), false, {}});
    last_ = Last::Output;
    return *this;
  }

  NodeSpec& param(std::string name, int value) { return add_param(std::move(name), ParamKind::Int, int64_t{value}); }
  NodeSpec& param(std::string name, int64_t value) { return add_param(std::move(name), ParamKind::Int, value); }
  NodeSpec& param(std::string name, double value) { return add_param(std::move(name), ParamKind::Float, value); }
  NodeSpec& param(std::string name, bool value) { return add_param(std::move(name), ParamKind::Bool, value); }
  NodeSpec& param(std::string name, const char* value) { return add_param(std::move(name), ParamKind::String, std::string(value)); }
  NodeSpec& param(std::string name, std::string value) { return add_param(std::move(name), ParamKind::String, std::move(value)); }
  /// A prompt or other long text (shown as a text box).
  NodeSpec& text_param(std::string name, std::string value) {
    add_param(std::move(name), ParamKind::String, std::move(value));
    params_.back().multiline = true;
    return *this;
  }
  /// One of a fixed list of strings; the default must be among them.
  NodeSpec& enum_param(std::string name, std::vector<std::string> choices, std::string value) {
    add_param(std::move(name), ParamKind::Enum, std::move(value));
    params_.back().choices = std::move(choices);
    return *this;
  }
  /// A random seed, an unsigned 64-bit integer; editors offer "randomise" and the CLI
  /// `--seed random`.
  NodeSpec& seed_param(std::string name, uint64_t value = 0) {
    return add_param(std::move(name), ParamKind::Seed, value);
  }
  /// A file the node reads, resolved relative to the graph file (then the model search
  /// path). The host refuses values naming no regular file before the node runs.
  NodeSpec& path_param(std::string name, std::string value = {}) {
    return add_param(std::move(name), ParamKind::Path, std::move(value));
  }
  /// A file the node writes, relative to the output folder; it can never leave it (no
  /// absolute path, no `..`, no symlink out). NodeCall::param_path gives the full path.
  NodeSpec& write_path_param(std::string name, std::string value = {}) {
    add_param(std::move(name), ParamKind::Path, std::move(value));
    params_.back().path_role = PathRole::WriteFile;
    return *this;
  }
  /// Marks the Path parameter added last as naming a folder (read or written) instead of
  /// a file.
  NodeSpec& folder() {
    auto& p = params_.back();
    p.path_role = p.path_role == PathRole::WriteFile ? PathRole::WriteFolder : PathRole::ReadFolder;
    return *this;
  }
  /// Marks the (read) Path parameter added last as naming a file or a folder (a model
  /// given as one file or as a folder of files).
  NodeSpec& file_or_folder() { params_.back().path_role = PathRole::ReadFileOrFolder; return *this; }
  /// Inclusive bounds of the parameter added last.
  NodeSpec& range(double min, double max) { params_.back().min = min; params_.back().max = max; return *this; }
  NodeSpec& min(double v) { params_.back().min = v; return *this; }
  NodeSpec& step(double s) { params_.back().step = s; return *this; }

  /// Sets the function that runs the node. It reads inputs and parameters from the
  /// NodeCall and sets every output. It may throw anything: this wrapper, compiled into
  /// the plugin, turns exceptions into a RunResult so none crosses into the host.
  template <class F>
  NodeSpec& run(F fn) {
    run_ = [fn = std::move(fn)](NodeCall& call) noexcept -> RunResult {
      try {
        fn(call);
        return {};
      } catch (const Cancelled&) {
        return {RunResult::Status::Cancelled, "cancelled"};
      } catch (const c10::Error& e) {
        // LibTorch's what() appends a 60-line C++ backtrace; the message alone is the news.
        return {RunResult::Status::Failed, one_line_torch_message(e.what_without_backtrace())};
      } catch (const std::bad_alloc&) {
        return {RunResult::Status::Failed, "out of memory (try a smaller size or batch)"};
      } catch (const std::exception& e) {
        return {RunResult::Status::Failed, e.what()};
      } catch (...) {
        return {RunResult::Status::Failed, "unknown exception"};
      }
    };
    return *this;
  }

  const std::string& id() const { return id_; }
  NodeVersion version() const { return version_; }
  const std::string& display_name() const { return display_.empty() ? id_ : display_; }
  const std::string& category_name() const { return category_; }
  const std::string& description() const { return description_; }
  bool is_output_node() const { return output_node_; }
  const std::vector<PortSpec>& inputs() const { return inputs_; }
  const std::vector<PortSpec>& outputs() const { return outputs_; }
  const std::vector<ParamSpec>& params() const { return params_; }
  /// The input port `name`, or the variadic input it is one link of ("more_2" -> "more").
  const PortSpec* find_input(const std::string& name) const {
    for (const auto& p : inputs_)
      if (p.variadic ? variadic_index(name, p.name) > 0 : p.name == name) return &p;
    return nullptr;
  }
  const PortSpec* find_output(const std::string& name) const { return find(outputs_, name); }
  const ParamSpec* find_param(const std::string& name) const {
    for (const auto& p : params_) if (p.name == name) return &p;
    return nullptr;
  }
  const RunFn& runner() const { return run_; }

 private:
  enum class Last { Node, Input, Output, Param };
  NodeSpec& add_param(std::string name, ParamKind kind, ParamValue value) {
    ParamSpec p;
    p.name = std::move(name);
    p.kind = kind;
    p.default_value = std::move(value);
    params_.push_back(std::move(p));
    last_ = Last::Param;
    return *this;
  }
  static const PortSpec* find(const std::vector<PortSpec>& v, const std::string& name) {
    for (const auto& p : v) if (p.name == name) return &p;
    return nullptr;
  }

  std::string id_;
  NodeVersion version_;
  std::string display_, category_, description_;
  bool output_node_ = false;
  std::vector<PortSpec> inputs_, outputs_;
  std::vector<ParamSpec> params_;
  RunFn run_;
  Last last_ = Last::Node;
};

/// One execution of a node: its inputs, validated parameters, outputs and the context.
/// The host fills inputs and params; the node reads them and calls set() for each output.
class NodeCall {
 public:
  NodeCall(std::string node_id, const NodeSpec& spec, std::map<std::string, Value> inputs,
           std::map<std::string, ParamValue> params, Context& ctx)
      : node_id_(std::move(node_id)), spec_(spec), inputs_(std::move(inputs)),
        params_(std::move(params)), ctx_(ctx) {}

  const std::string& node_id() const { return node_id_; }
  const NodeSpec& spec() const { return spec_; }
  Context& context() { return ctx_; }

  /// True when the (optional) input is connected.
  bool has(const std::string& name) const {
    auto it = inputs_.find(name);
    return it != inputs_.end() && !it->second.empty();
  }
  const Value& input(const std::string& name) const {
    auto it = inputs_.find(name);
    if (it == inputs_.end() || it->second.empty())
      throw Error("input '" + name + "' is not connected");
    return it->second;
  }
  /// The values linked to variadic input `name` (NAME_1, NAME_2, ...), in that order.
  std::vector<Value> inputs_of(const std::string& name) const {
    std::vector<std::pair<int, Value>> found;
    for (const auto& [port, value] : inputs_)
      if (const int k = variadic_index(port, name); k > 0 && !value.empty()) found.emplace_back(k, value);
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Value> out;
    for (auto& f : found) out.push_back(std::move(f.second));
    return out;
  }
  /// IMAGE, MASK or SIGMAS input.
  at::Tensor tensor(const std::string& name) const { return get<at::Tensor>(name); }
  Latent latent(const std::string& name) const { return get<Latent>(name); }
  Conditioning conditioning(const std::string& name) const { return get<Conditioning>(name); }
  /// A handle input (MODEL, AUTOENCODER, SAMPLER, ...) as its interface type T.
  template <class T>
  std::shared_ptr<T> object(const std::string& name) const {
    auto base = get<std::shared_ptr<Object>>(name);
    auto typed = std::dynamic_pointer_cast<T>(base);
    if (!typed) throw Error("input '" + name + "' holds an object of the wrong kind");
    return typed;
  }
  int64_t int_input(const std::string& name) const { return get<int64_t>(name); }
  double float_input(const std::string& name) const {
    const auto& v = input(name).data;
    if (auto* i = std::get_if<int64_t>(&v)) return double(*i);
    return get<double>(name);
  }
  std::string string_input(const std::string& name) const { return get<std::string>(name); }

  int64_t param_int(const std::string& name) const { return param<int64_t>(name); }
  uint64_t param_seed(const std::string& name) const { return param<uint64_t>(name); }
  double param_float(const std::string& name) const {
    const auto& v = param_value(name);
    if (auto* i = std::get_if<int64_t>(&v)) return double(*i);
    return param<double>(name);
  }
  bool param_bool(const std::string& name) const { return param<bool>(name); }
  std::string param_string(const std::string& name) const { return param<std::string>(name); }
  /// A Path parameter as a full path: a read one resolved with Context::resolve(), a
  /// written one inside Context::output_dir(). Empty when the value is empty.
  std::filesystem::path param_path(const std::string& name) const {
    const std::string& value = param<std::string>(name);
    const ParamSpec* p = spec_.find_param(name);
    if (p && p->writes()) return value.empty() ? std::filesystem::path() : ctx_.output_dir() / value;
    return ctx_.resolve(value);
  }
  const ParamValue& param_value(const std::string& name) const {
    auto it = params_.find(name);
    if (it == params_.end()) throw Error("node has no parameter '" + name + "'");
    return it->second;
  }

  /// Sets an output. Every output port must be set before run returns.
  void set(const std::string& name, Value v) { outputs_[name] = std::move(v); }
  std::map<std::string, Value>& outputs() { return outputs_; }

 private:
  template <class T>
  const T& get(const std::string& name) const {
    const auto& v = input(name);
    if (auto* p = std::get_if<T>(&v.data)) return *p;
    throw Error("input '" + name + "' holds a value of the wrong type");
  }
  template <class T>
  const T& param(const std::string& name) const {
    const auto& v = param_value(name);
    if (auto* p = std::get_if<T>(&v)) return *p;
    throw Error("parameter '" + name + "' has the wrong type");
  }

  std::string node_id_;
  const NodeSpec& spec_;
  std::map<std::string, Value> inputs_;
  std::map<std::string, ParamValue> params_;
  std::map<std::string, Value> outputs_;
  Context& ctx_;
};

}  // namespace ng
