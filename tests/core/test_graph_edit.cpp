// The editing operations the editor builds its undo commands on.
#include <noisegraph/host/graph_diff.hpp>
#include <noisegraph/host/graph_edit.hpp>
#include <noisegraph/host/graph_io.hpp>
#include <noisegraph/host/plugin_registry.hpp>

#include <fstream>

#include "test_helpers.hpp"

using namespace ng::host;
using namespace ng_test;

class TestGraphEdit : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void new_nodes_get_unique_ids_derived_from_their_type() {
    Graph g;
    QCOMPARE(g.add_node("image.load").id, std::string("load"));
    QCOMPARE(g.add_node("image.load").id, std::string("load_2"));
    QCOMPARE(g.add_node("image.load").id, std::string("load_3"));
    QCOMPARE(g.add_node("x.y", {}, "my node!").id, std::string("my_node_"));
    QCOMPARE(g.unique_id(""), std::string("node"));
    QCOMPARE(g.nodes.keys(), (std::vector<std::string>{"load", "load_2", "load_3", "my_node_"}));
  }

  void ids_with_dots_or_odd_characters_are_invalid() {
    QVERIFY(Graph::is_valid_id("sample_2-b"));
    QVERIFY(!Graph::is_valid_id("a.b"));
    QVERIFY(!Graph::is_valid_id(""));
    QVERIFY(!Graph::is_valid_id("a b"));
    QVERIFY(!Graph::is_valid_id(std::string(129, 'a')));
  }

  void connect_replaces_and_disconnect_removes_a_link() {
    Graph g;
    g.add_node("testing.constant", {}, "a");
    g.add_node("testing.constant", {}, "b");
    g.add_node("testing.add", {}, "sum");
    g.connect("a", "value", "sum", "a");
    g.connect("b", "value", "sum", "a");
    QCOMPARE(g.nodes.at("sum").inputs.size(), std::size_t(1));
    QCOMPARE(g.nodes.at("sum").inputs.at("a").node, std::string("b"));
    QVERIFY(g.disconnect("sum", "a"));
    QVERIFY(!g.disconnect("sum", "a"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, g.connect("ghost", "value", "sum", "a"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, g.connect("a", "value", "ghost", "a"));
  }

  void removing_a_node_removes_links_into_it_and_its_position() {
    Graph g = load_graph(graph_file("canonical.yaml"));
    QVERIFY(g.remove_node("a"));
    QVERIFY(!g.find("a"));
    QVERIFY(!g.nodes.at("sum").inputs.contains("a"));
    QVERIFY(g.nodes.at("sum").inputs.contains("b"));
    QVERIFY(!g.editor.positions.contains("a"));
    QVERIFY(!g.remove_node("a"));
  }

  void rename_updates_links_and_positions_in_place() {
    Graph g = load_graph(graph_file("canonical.yaml"));
    QVERIFY(g.rename("sum", "total"));
    QCOMPARE(g.nodes.keys(), (std::vector<std::string>{"a", "b", "total", "label", "out"}));
    QCOMPARE(g.nodes.at("total").id, std::string("total"));
    QCOMPARE(g.nodes.at("out").inputs.at("value").node, std::string("total"));
    QVERIFY(g.editor.positions.contains("total"));
    QVERIFY(!g.rename("total", "a"));       // taken
    QVERIFY(!g.rename("total", "bad.id"));  // invalid
    QVERIFY(!g.rename("ghost", "x"));
  }

  void set_and_reset_params() {
    Graph g;
    g.add_node("testing.params", {}, "p");
    g.set_param("p", "count", ng::ParamValue(int64_t{4}));
    g.set_param("p", "label", Scalar("free text"));
    QCOMPARE(g.nodes.at("p").params.at("count").text, std::string("4"));
    QVERIFY(g.reset_param("p", "count"));
    QVERIFY(!g.nodes.at("p").params.contains("count"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, g.set_param("ghost", "x", ng::ParamValue(true)));
  }

  void seed_modes_are_typed_and_follow_renames_and_removals() {
    Graph g = load_graph_from_string(R"(noisegraph: 1
nodes:
  p: {type: testing.params}
  q: {type: testing.params}
editor:
  positions: {p: [0, 0]}
  seed_modes: {p.seed: increment, q.seed: random, q.other: fixed, bad: random}
  zoom: 2
)", "modes.yaml");
    QCOMPARE(g.editor.seed_modes.at("p").at("seed"), SeedMode::Increment);
    QCOMPARE(g.editor.seed_modes.at("q").size(), std::size_t(1));  // fixed is the default: not stored
    QCOMPARE(g.load_problems.size(), std::size_t(1));                 // "bad" is reported, not fatal
    QCOMPARE(g.editor.extra_yaml, std::string("zoom: 2\n"));          // other keys stay verbatim
    QVERIFY(g.rename("p", "first"));
    QCOMPARE(g.editor.seed_modes.at("first").at("seed"), SeedMode::Increment);
    QVERIFY(g.remove_node("q"));
    QVERIFY(!g.editor.seed_modes.count("q"));
    const Graph again = load_graph_from_string(to_yaml(g), "again.yaml");
    QCOMPARE(again.editor.seed_modes.at("first").at("seed"), SeedMode::Increment);
    QCOMPARE(again.editor.extra_yaml, std::string("zoom: 2\n"));
  }

  void a_fragment_merges_under_fresh_ids_with_its_links_modes_and_inputs() {
    Graph g = load_graph_from_string(R"(noisegraph: 1
inputs:
  v: {to: b.value}
nodes:
  a: {type: testing.constant}
  b: {type: testing.count, inputs: {value: a.value}, params: {offset: 2}}
  c: {type: testing.sink, inputs: {value: b.value}}
editor:
  positions: {a: [100, 50], b: [300, 80]}
  seed_modes: {b.seed: random}
)", "g.yaml");
    const Graph frag = extract_fragment(g, {"b", "c"}, {{"c", {500, 90}}});
    QCOMPARE(frag.nodes.keys(), (std::vector<std::string>{"b", "c"}));
    QCOMPARE(frag.editor.positions.at("c").x, 500.0);  // from what the view shows
    QVERIFY(frag.inputs.contains("v"));                 // all its targets are in the fragment
    // Pasted back: fresh ids, the inside link follows, the link to 'a' is kept or dropped.
    Graph into = g;
    auto ids = merge_fragment(into, frag, {0, 0}, true);
    QCOMPARE(ids.at("b"), std::string("b_2"));
    QCOMPARE(into.find("c_2")->inputs.at("value").node, std::string("b_2"));
    QCOMPARE(into.find("b_2")->inputs.at("value").node, std::string("a"));
    QCOMPARE(into.find("b_2")->params.at("offset").text, std::string("2"));
    QCOMPARE(into.editor.positions.at("b_2").x, 0.0);  // top-left of the fragment at the anchor
    QCOMPARE(into.editor.positions.at("c_2").x, 200.0);
    QCOMPARE(into.editor.seed_modes.at("b_2").at("seed"), SeedMode::Random);
    QCOMPARE(into.inputs.at("v_2").to.front().node, std::string("b_2"));
    Graph other;
    merge_fragment(other, frag, {10, 10}, true);
    QVERIFY(!other.find("b")->inputs.contains("value"));  // 'a' does not exist there
  }

  void moving_a_graph_rewrites_relative_read_paths_only() {
    PluginRegistry registry;
    QVERIFY(registry.load_file(std::string(NG_TEST_PLUGIN_DIR) + "/testing.so"));
    QTemporaryDir tmp;
    const std::filesystem::path root = tmp.path().toStdString();
    std::filesystem::create_directories(root / "old" / "data");
    std::filesystem::create_directories(root / "new");
    std::ofstream(root / "old" / "data" / "x.txt") << "x";
    Graph g;
    g.add_node("testing.params", {}, "p");
    g.set_param("p", "file", ng::ParamValue(std::string("data/x.txt")));
    g.add_node("testing.params", {}, "bare");
    g.set_param("bare", "file", ng::ParamValue(std::string("model.safetensors")));  // a model lookup: kept
    QCOMPARE(rebase_read_paths(g, registry, root / "old", root / "new"), 1);
    QCOMPARE(g.find("p")->params.at("file").text, std::string("../old/data/x.txt"));
    QCOMPARE(g.find("bare")->params.at("file").text, std::string("model.safetensors"));
    QCOMPARE(rebase_read_paths(g, registry, root / "new", root / "new"), 0);
  }

  void a_diff_names_each_change_once_and_nothing_for_equal_graphs() {
    using K = GraphChange::Kind;
    Graph a = load_graph_from_string(R"(noisegraph: 1
nodes:
  x: {type: testing.constant, params: {value: 1}}
  y: {type: testing.count, inputs: {value: x.value}}
  z: {type: testing.sink, inputs: {value: y.value}}
)", "a.yaml");
    Graph b = load_graph_from_string(to_yaml(a), "b.yaml");  // other locations, same content
    QVERIFY(diff_graphs(a, b).empty());
    b.set_param("x", "value", ng::ParamValue(2.0));
    b.editor.positions.set("z", {10, 20});
    b.editor.seed_modes["y"]["seed"] = SeedMode::Random;
    b.inputs.set("v", GraphInput{"v", {InputTarget{"x", "value", {}}}, "", {}});
    auto changes = diff_graphs(a, b);
    std::vector<std::pair<K, std::string>> got;
    for (const auto& c : changes) got.emplace_back(c.kind, c.node);
    QCOMPARE(got, (std::vector<std::pair<K, std::string>>{
                      {K::ParamsChanged, "x"}, {K::SeedModes, "y"}, {K::NodeMoved, "z"}, {K::Inputs, ""}}));
    // Removing y: y goes, z's link goes, and z is a touched card (its input is now free).
    Graph c = a;
    c.remove_node("y");
    changes = diff_graphs(a, c);
    QCOMPARE(changes.size(), std::size_t(2));
    QCOMPARE(int(changes[0].kind), int(K::LinksChanged));
    QCOMPARE(int(changes[1].kind), int(K::NodeRemoved));
    QCOMPARE(touched_nodes(c, changes), (std::vector<std::string>{"z", "y"}));
  }

  void consumers_lists_nodes_reading_an_output() {
    Graph g = load_graph(graph_file("canonical.yaml"));
    QCOMPARE(g.consumers("a"), (std::vector<std::string>{"sum"}));
    QCOMPARE(g.consumers("sum"), (std::vector<std::string>{"out"}));
    QVERIFY(g.consumers("out").empty());
  }
};

QTEST_GUILESS_MAIN(TestGraphEdit)
#include "test_graph_edit.moc"
