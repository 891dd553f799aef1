// The editing operations the editor builds its undo commands on.
#include <noisegraph/host/graph_io.hpp>

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

  void consumers_lists_nodes_reading_an_output() {
    Graph g = load_graph(graph_file("canonical.yaml"));
    QCOMPARE(g.consumers("a"), (std::vector<std::string>{"sum"}));
    QCOMPARE(g.consumers("sum"), (std::vector<std::string>{"out"}));
    QVERIFY(g.consumers("out").empty());
  }
};

QTEST_GUILESS_MAIN(TestGraphEdit)
#include "test_graph_edit.moc"
