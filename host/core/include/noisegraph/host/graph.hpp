#pragma once
/// @file graph.hpp
/// The graph as plain data: what a graph file says, nothing more. No plugin knowledge
/// lives here (see validate.hpp for checking a graph against the loaded node types), so
/// the editor can hold and edit a graph whose plugins are missing without losing anything.
///
/// Order matters for humans: nodes, inputs and parameters keep the order of the file
/// (new ones go at the end), so saving an unedited graph reproduces the file we wrote.
#include <cstddef>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <noisegraph/node.hpp>

#include "noisegraph/host/problem.hpp"

namespace ng::host {

/// The graph file format version this build reads and writes (`noisegraph: 1`).
inline constexpr int kGraphFormatVersion = 1;

/// An insertion-ordered map from string keys to V. Keys are unique; set() on an existing
/// key replaces the value in place. Lookups are O(log n); erase and rename are O(n).
template <class V>
class OrderedMap {
 public:
  using Entry = std::pair<std::string, V>;
  using iterator = typename std::vector<Entry>::iterator;
  using const_iterator = typename std::vector<Entry>::const_iterator;

  iterator begin() { return entries_.begin(); }
  iterator end() { return entries_.end(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  bool contains(const std::string& key) const { return index_.count(key) > 0; }

  V* find(const std::string& key) {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &entries_[it->second].second;
  }
  const V* find(const std::string& key) const {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &entries_[it->second].second;
  }
  /// Throws std::out_of_range when missing.
  V& at(const std::string& key) {
    if (auto* v = find(key)) return *v;
    throw std::out_of_range("no entry '" + key + "'");
  }
  const V& at(const std::string& key) const {
    if (auto* v = find(key)) return *v;
    throw std::out_of_range("no entry '" + key + "'");
  }
  /// Inserts at the end, or replaces the value of an existing key where it stands.
  V& set(const std::string& key, V value) {
    if (auto* v = find(key)) return *v = std::move(value);
    index_.emplace(key, entries_.size());
    entries_.emplace_back(key, std::move(value));
    return entries_.back().second;
  }
  /// Returns false when the key was not there.
  bool erase(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    const std::size_t pos = it->second;
    index_.erase(it);
    entries_.erase(entries_.begin() + std::ptrdiff_t(pos));
    for (std::size_t i = pos; i < entries_.size(); ++i) index_[entries_[i].first] = i;
    return true;
  }
  /// Renames a key in place (keeps its position). False when `from` is missing or `to`
  /// already exists.
  bool rename(const std::string& from, const std::string& to) {
    if (contains(to)) return false;
    auto it = index_.find(from);
    if (it == index_.end()) return false;
    const std::size_t pos = it->second;
    index_.erase(it);
    index_.emplace(to, pos);
    entries_[pos].first = to;
    return true;
  }
  std::vector<std::string> keys() const {
    std::vector<std::string> k;
    for (const auto& e : entries_) k.push_back(e.first);
    return k;
  }

 private:
  std::vector<Entry> entries_;
  std::map<std::string, std::size_t> index_;
};

/// An input connected to another node's output: YAML `port: "node.output"`.
struct Link {
  std::string node;    ///< id of the upstream node
  std::string output;  ///< name of its output port
  SourceLocation location;  ///< of the "node.output" text in the file
};

/// A parameter value as written in the file. It stays text until validation gives it a
/// kind (an Int parameter reads "42" as 42, a String parameter as "42"), so a graph
/// whose plugins are missing still round-trips exactly.
struct Scalar {
  std::string text;      ///< the value without quotes
  bool quoted = false;   ///< written quoted or as a block (| or >): always a string
  bool null = false;     ///< written as nothing, `~` or `null` (text is then "")
  SourceLocation location;

  Scalar() = default;
  Scalar(std::string t, bool q = false) : text(std::move(t)), quoted(q) {}
  /// The canonical text of a typed value: integers in decimal, floats in the shortest
  /// form that reads back exactly (always with a '.' or exponent), bools as true/false,
  /// strings quoted.
  static Scalar from(const ng::ParamValue& v);
};

struct GraphNode {
  std::string id;
  std::string type;  ///< node type id, e.g. "sample.ksampler"
  /// Node type version the graph was saved with; empty when the file does not say.
  std::optional<ng::NodeVersion> version;
  OrderedMap<Link> inputs;     ///< input port name -> upstream output
  OrderedMap<Scalar> params;   ///< parameter name -> value; absent ones take defaults
  SourceLocation location;       ///< of the node id key
  SourceLocation type_location;  ///< of the `type:` value
  SourceLocation version_location;
};

/// A parameter a graph input sets: `node.param` in the file.
struct InputTarget {
  std::string node;
  std::string param;
  SourceLocation location;  ///< of the "node.param" text
};

/// A named input of the graph (YAML `inputs:`), what a user of the graph is meant to
/// change: `noisegraph run g.yaml prompt="a bag"`, a form in the editor, a field of the
/// server API. Its value is set on every target parameter; its current value is that of
/// the first target (the graph file holds it there, so a graph runs unchanged without
/// any input given).
struct GraphInput {
  std::string name;
  std::vector<InputTarget> to;  ///< at least one; all of the same parameter kind
  std::string description;      ///< `describe:` in the file
  SourceLocation location;      ///< of the input's name
};

/// Position of a node on the editor canvas (scene units).
struct Point {
  double x = 0;
  double y = 0;
};

/// What the editor does to a Seed parameter after each run (`editor: seed_modes:`).
enum class SeedMode { Fixed, Increment, Random };

/// "fixed", "increment", "random".
const char* to_string(SeedMode mode);
/// The mode named `name`; nullopt for anything else.
std::optional<SeedMode> seed_mode_from_name(const std::string& name);

/// The `editor:` section. Headless tools ignore it but keep it: positions and seed modes
/// are typed; every other key is kept verbatim in `extra_yaml` and written back unchanged
/// after them.
struct EditorSection {
  bool present = false;  ///< the file had an `editor:` key (written back only if so or if
                         ///< positions/extra are non-empty)
  OrderedMap<Point> positions;
  /// node id -> parameter -> mode, only for modes other than Fixed. Graph::rename and
  /// remove_node keep it in step with the nodes.
  std::map<std::string, std::map<std::string, SeedMode>> seed_modes;
  /// A YAML block mapping (e.g. "zoom: 1.5\nview: [0, 0]\n") with the other keys of the
  /// editor section, in file order; "" when none.
  std::string extra_yaml;
};

class Graph {
 public:
  int format_version = kGraphFormatVersion;
  SourceLocation format_location;
  OrderedMap<GraphInput> inputs;  ///< graph inputs by name, in file order (`inputs:`)
  OrderedMap<GraphNode> nodes;   ///< node id -> node, in file order
  EditorSection editor;
  /// File the graph was loaded from or last saved to; "" for a new graph. Relative paths
  /// in parameters resolve against its folder.
  std::filesystem::path source_file;
  /// Problems found while loading that did not stop it (duplicate ids: the first one
  /// wins). validate() reports them along with its own.
  std::vector<Problem> load_problems;

  GraphNode* find(const std::string& id) { return nodes.find(id); }
  const GraphNode* find(const std::string& id) const { return nodes.find(id); }

  /// True for ids made of letters, digits, '_' and '-' (no '.', which separates a node
  /// from its output in links), not empty, at most 128 characters.
  static bool is_valid_id(const std::string& id);

  /// A free id derived from `base` ("sample", "sample_2", ...). Characters not allowed in
  /// ids are replaced by '_'; a type id like "image.load" gives "load".
  std::string unique_id(const std::string& base) const;

  /// Adds a node of `type` and returns it. Its id is unique_id(preferred_id), or derived
  /// from the type when preferred_id is empty. `version` should be the installed node
  /// type's version so later loads can check compatibility.
  GraphNode& add_node(const std::string& type, std::optional<ng::NodeVersion> version = {},
                      const std::string& preferred_id = {});

  /// Removes a node, every link into it, the graph-input targets on it (an input left
  /// without targets goes too), its editor position and seed modes. False when missing.
  bool remove_node(const std::string& id);

  /// Connects `to_node`.`input` to `from_node`.`output`, replacing any existing link on
  /// that input. Throws std::invalid_argument when either node is missing. Port names and
  /// types are not checked here (that is validate()'s job).
  void connect(const std::string& from_node, const std::string& output,
               const std::string& to_node, const std::string& input);

  /// Removes the link on `node`.`input`. False when there was none.
  bool disconnect(const std::string& node, const std::string& input);

  /// Sets a parameter (typed or as text). Throws std::invalid_argument when the node is
  /// missing.
  void set_param(const std::string& node, const std::string& name, const ng::ParamValue& value);
  void set_param(const std::string& node, const std::string& name, Scalar value);
  /// Removes a parameter so it takes its default. False when it was not set.
  bool reset_param(const std::string& node, const std::string& name);

  /// Renames a node, updating links, graph-input targets, editor positions and seed modes.
  /// False when `from` is missing,
  /// `to` exists or `to` is not a valid id.
  bool rename(const std::string& from, const std::string& to);

  /// Sets graph input `name` as text on every one of its targets. Throws
  /// std::invalid_argument when there is no such input. Kinds are validate()'s job.
  void set_input(const std::string& name, const Scalar& value);

  /// Ids of nodes whose inputs link to `id`.
  std::vector<std::string> consumers(const std::string& id) const;
};

}  // namespace ng::host
