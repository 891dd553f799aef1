// Graph files: reading, writing, round trips, and refusing hostile input quickly.
#include <noisegraph/host/graph_io.hpp>

#include <sys/stat.h>

#include "test_helpers.hpp"

using namespace ng::host;
using namespace ng_test;
namespace fs = std::filesystem;

class TestGraphIo : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir tmp_;
  fs::path tmp(const std::string& name) const { return fs::path(tmp_.path().toStdString()) / name; }

  // Loads `text` and expects a GraphError with this code at this line (and column if > 0).
  void expect_error(const std::string& text, const std::string& code, int line, int column = 0) {
    try {
      load_graph_from_string(text, "bad.yaml");
      QFAIL(("expected error " + code).c_str());
    } catch (const GraphError& e) {
      QCOMPARE(e.problem().code, code);
      QCOMPARE(e.problem().file, std::string("bad.yaml"));
      QCOMPARE(e.problem().line, line);
      if (column > 0) QCOMPARE(e.problem().column, column);
      QVERIFY(std::string(e.what()).find("bad.yaml:" + std::to_string(line)) == 0);
    }
  }

 private Q_SLOTS:
  void loads_nodes_inputs_and_params_in_file_order() {
    Graph g = load_graph(graph_file("canonical.yaml"));
    QCOMPARE(g.format_version, 1);
    QCOMPARE(g.nodes.keys(), (std::vector<std::string>{"a", "b", "sum", "label", "out"}));
    const GraphNode& a = g.nodes.at("a");
    QCOMPARE(a.type, std::string("testing.constant"));
    QVERIFY(a.version.has_value());
    QCOMPARE(a.version->major, 1);
    QCOMPARE(a.version->minor, 2);
    QCOMPARE(a.location.line, 3);
    QCOMPARE(a.location.column, 3);
    QCOMPARE(a.params.at("value").text, std::string("1.5"));
    const GraphNode& sum = g.nodes.at("sum");
    QCOMPARE(sum.inputs.keys(), (std::vector<std::string>{"a", "b"}));
    QCOMPARE(sum.inputs.at("b").node, std::string("b"));
    QCOMPARE(sum.inputs.at("b").output, std::string("value"));
    QCOMPARE(sum.inputs.at("b").location.line, 12);
    QCOMPARE(g.editor.positions.at("b").y, 120.5);
    QCOMPARE(g.source_file, graph_file("canonical.yaml"));
    QVERIFY(g.load_problems.empty());
  }

  void quoted_values_are_marked_as_strings() {
    Graph g = load_graph(graph_file("canonical.yaml"));
    const GraphNode& label = g.nodes.at("label");
    QVERIFY(label.params.at("label").quoted);
    QCOMPARE(label.params.at("label").text, std::string("42"));
    QVERIFY(!label.params.at("mode").quoted);
    Graph n = load_graph_from_string("noisegraph: 1\nnodes:\n  a:\n    type: x.y\n    params: {p: ~, q: , r: 'null'}\n");
    QVERIFY(n.nodes.at("a").params.at("p").null);
    QVERIFY(n.nodes.at("a").params.at("q").null);
    QVERIFY(!n.nodes.at("a").params.at("r").null);
  }

  void saving_an_unedited_graph_reproduces_our_file_exactly() {
    const std::string original = read_text(graph_file("canonical.yaml"));
    Graph g = load_graph(graph_file("canonical.yaml"));
    QCOMPARE(to_yaml(g), original);
    save_graph(g, tmp("copy.yaml"));
    QCOMPARE(read_text(tmp("copy.yaml")), original);
  }

  void round_trip_keeps_the_graph_and_the_editor_section() {
    // Hand-written style (block maps, comments, quoted keys) loads to the same graph after
    // a save, and the editor's extra keys survive.
    const std::string text =
        "# a comment\nnoisegraph: 1\nnodes:\n  n1:\n    type: testing.constant\n    params:\n      value: 3\n"
        "  n2:\n    type: testing.sink\n    inputs:\n      value: n1.value\n    params:\n      name: \"x: y\"\n"
        "editor:\n  zoom: 2\n  positions:\n    n1: [1.5, -2]\n  comments:\n    - {at: [0, 0], text: \"hello\\nworld\"}\n";
    Graph a = load_graph_from_string(text, "hand.yaml");
    save_graph(a, tmp("hand.yaml"));
    Graph b = load_graph(tmp("hand.yaml"));
    QCOMPARE(b.nodes.keys(), a.nodes.keys());
    QCOMPARE(b.nodes.at("n2").params.at("name").text, std::string("x: y"));
    QCOMPARE(b.nodes.at("n2").inputs.at("value").node, std::string("n1"));
    QCOMPARE(b.nodes.at("n1").params.at("value").text, std::string("3"));
    QCOMPARE(b.editor.positions.at("n1").x, 1.5);
    QCOMPARE(b.editor.positions.at("n1").y, -2.0);
    QCOMPARE(b.editor.extra_yaml, a.editor.extra_yaml);
    QVERIFY(b.editor.extra_yaml.find("zoom: 2") != std::string::npos);
    QVERIFY(b.editor.extra_yaml.find("hello\\nworld") != std::string::npos);
    // Once written by us, the text is a fixed point.
    QCOMPARE(to_yaml(b), read_text(tmp("hand.yaml")));
  }

  void typed_values_are_written_so_they_read_back_exactly() {
    QCOMPARE(Scalar::from(ng::ParamValue(int64_t{42})).text, std::string("42"));
    QCOMPARE(Scalar::from(ng::ParamValue(3.0)).text, std::string("3.0"));
    QCOMPARE(Scalar::from(ng::ParamValue(0.1)).text, std::string("0.1"));
    QCOMPARE(Scalar::from(ng::ParamValue(1e-20)).text, std::string("1e-20"));
    QCOMPARE(Scalar::from(ng::ParamValue(true)).text, std::string("true"));
    QVERIFY(Scalar::from(ng::ParamValue(std::string("7"))).quoted);
    Graph g;
    g.add_node("testing.params", ng::NodeVersion{1, 0}, "p");
    g.set_param("p", "label", ng::ParamValue(std::string("line one\nline \"two\"")));
    g.set_param("p", "number", ng::ParamValue(0.30000000000000004));
    Graph back = load_graph_from_string(to_yaml(g));
    QCOMPARE(back.nodes.at("p").params.at("label").text, std::string("line one\nline \"two\""));
    QCOMPARE(back.nodes.at("p").params.at("number").text, std::string("0.30000000000000004"));
    QCOMPARE(back.nodes.at("p").version->minor, 0);
  }

  void graph_inputs_round_trip_in_both_forms() {
    const Graph g = load_graph(graph_file("inputs.yaml"));
    QCOMPARE(g.inputs.keys(), (std::vector<std::string>{"value", "seed", "label"}));
    const GraphInput& value = g.inputs.at("value");
    QCOMPARE(value.to.size(), std::size_t(2));
    QCOMPARE(value.to[1].node, std::string("b"));
    QCOMPARE(value.to[1].param, std::string("value"));
    QCOMPARE(value.description, std::string("both addends"));
    QCOMPARE(g.inputs.at("label").to.front().param, std::string("label"));  // short form
    QVERIFY(value.to[0].location.line > 0);
    const Graph again = load_graph_from_string(to_yaml(g), "again.yaml");
    QCOMPARE(to_yaml(again), to_yaml(g));
    QCOMPARE(again.inputs.at("value").to.size(), std::size_t(2));
  }

  void graph_inputs_follow_renamed_and_removed_nodes() {
    Graph g = load_graph(graph_file("inputs.yaml"));
    QVERIFY(g.rename("a", "first"));
    QCOMPARE(g.inputs.at("value").to[0].node, std::string("first"));
    QVERIFY(g.remove_node("b"));
    QCOMPARE(g.inputs.at("value").to.size(), std::size_t(1));
    QVERIFY(g.remove_node("p"));  // the only target of seed and label
    QVERIFY(!g.inputs.contains("seed"));
    QVERIFY(!g.inputs.contains("label"));
    g.set_input("value", Scalar("3"));
    QCOMPARE(g.find("first")->params.at("value").text, std::string("3"));
  }

  void a_graph_input_without_target_is_a_structure_error() {
    try {
      load_graph_from_string("noisegraph: 1\ninputs:\n  x: {describe: nothing}\nnodes: {}\n", "bad.yaml");
      QFAIL("expected a GraphError");
    } catch (const GraphError& e) {
      QCOMPARE(e.problem().code, std::string("structure"));
      QCOMPARE(e.problem().line, 3);
      QVERIFY(std::string(e.what()).find("graph input 'x' sets nothing") != std::string::npos);
    }
  }

  void version_minor_is_read_as_an_integer_not_a_decimal() {
    Graph g = load_graph_from_string("noisegraph: 1\nnodes:\n  a: {type: x.y, version: 1.10}\n");
    QCOMPARE(g.nodes.at("a").version->minor, 10);
    expect_error("noisegraph: 1\nnodes:\n  a: {type: x.y, version: one}\n", "structure", 3, 27);
  }

  void yaml_syntax_errors_name_line_and_column() {
    expect_error("noisegraph: 1\nnodes:\n  a:\n    type: x.y\n    params: {b: [1, 2}\n", "yaml_syntax", 5, 22);
  }

  void structural_errors_name_line_column_and_node() {
    expect_error("noisegraph: 1\nnodes:\n  a:\n    type: x.y\n    inputs: {b: nodot}\n", "structure", 5, 17);
    expect_error("noisegraph: 1\nnodes:\n  a:\n    params: {}\n", "structure", 3, 3);
    expect_error("noisegraph: 1\nnodes:\n  a: 5\n", "structure", 3, 6);
    expect_error("noisegraph: 1\nnodes:\n  a.b:\n    type: x.y\n", "structure", 3, 3);
    expect_error("noisegraph: 1\nnodes: [a, b]\n", "structure", 2, 8);
    expect_error("noisegraph: 1\nnodes:\n  a:\n    type: x.y\n    params: {p: [1, 2]}\n", "structure", 5, 17);
    expect_error("- just\n- a list\n", "structure", 1, 1);
    expect_error("nodes: {}\n", "format_version", 1, 1);
    expect_error("noisegraph: two\nnodes: {}\n", "format_version", 1, 13);
    try {
      load_graph_from_string("noisegraph: 1\nnodes:\n  a:\n    params: {}\n", "bad.yaml");
    } catch (const GraphError& e) {
      QCOMPARE(e.problem().node, std::string("a"));
    }
  }

  void duplicate_ids_and_unknown_keys_are_reported_not_fatal() {
    Graph g = load_graph_from_string(
        "noisegraph: 1\nnodes:\n  a: {type: x.y}\n  a: {type: x.z}\n  b: {type: x.y, colour: red}\nextra: 1\n", "d.yaml");
    QCOMPARE(g.nodes.size(), std::size_t(2));
    QCOMPARE(g.nodes.at("a").type, std::string("x.y"));  // first one kept
    QCOMPARE(g.load_problems.size(), std::size_t(3));
    QCOMPARE(g.load_problems[0].code, std::string("duplicate_id"));
    QCOMPARE(g.load_problems[0].line, 4);
    QCOMPARE(g.load_problems[1].code, std::string("unknown_key"));
    QCOMPARE(g.load_problems[1].node, std::string("b"));
    QCOMPARE(g.load_problems[2].code, std::string("unknown_key"));
    QCOMPARE(g.load_problems[2].line, 6);
  }

  void empty_graph_loads_and_saves() {
    Graph g = load_graph_from_string("noisegraph: 1\n");
    QVERIFY(g.nodes.empty());
    QCOMPARE(to_yaml(g), std::string("noisegraph: 1\nnodes: {}\n"));
  }

  void alias_bomb_is_refused_quickly() {
    std::string text = "noisegraph: 1\nnodes: {}\neditor:\n  l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 12; ++i) {
      std::string prev = "*l" + std::to_string(i - 1);
      text += "  l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
      for (int k = 0; k < 10; ++k) text += (k ? ", " : "") + prev;
      text += "]\n";
    }
    const auto t0 = std::chrono::steady_clock::now();
    try {
      load_graph_from_string(text, "bomb.yaml");
      QFAIL("alias bomb was accepted");
    } catch (const GraphError& e) {
      QCOMPARE(e.problem().code, std::string("too_large"));
    }
    // 10^12 expanded nodes would take hours; counting stops at the limit.
    QVERIFY2(seconds_since(t0) < 5.0, "alias bomb took too long to refuse");
  }

  void a_huge_flat_document_is_refused_while_streaming() {
    // 5 million list items in 10 MB: building the tree would take gigabytes; the streaming
    // count stops at the limit after a small fraction of the text.
    std::string text = "noisegraph: 1\nnodes: {}\neditor:\n  x: [1";
    text.reserve(10'000'100);
    for (int i = 1; i < 5'000'000; ++i) text += ",1";
    text += "]\n";
    const auto t0 = std::chrono::steady_clock::now();
    try {
      load_graph_from_string(text, "wide.yaml");
      QFAIL("huge document was accepted");
    } catch (const GraphError& e) {
      QCOMPARE(e.problem().code, std::string("too_large"));
      QCOMPARE(e.problem().line, 4);
    }
    QVERIFY(seconds_since(t0) < 2.0);
  }

  void ten_thousand_levels_of_nesting_are_refused() {
    const std::string flow = "noisegraph: 1\nnodes: {}\neditor:\n  x: " + std::string(10000, '[') + std::string(10000, ']') + "\n";
    std::string block = "noisegraph: 1\nnodes: {}\neditor:\n  x:\n    ";
    for (int i = 0; i < 10000; ++i) block += "- ";
    block += "deep\n";
    for (const auto& text : {flow, block}) {
      const auto t0 = std::chrono::steady_clock::now();
      try {
        load_graph_from_string(text, "deep.yaml");
        QFAIL("deep nesting was accepted");
      } catch (const GraphError& e) {
        QCOMPARE(e.problem().code, std::string("too_deep"));
      }
      QVERIFY(seconds_since(t0) < 5.0);
    }
  }

  void files_over_the_size_limit_are_refused_before_parsing() {
    // 100 MB: a valid start, then a sparse tail (the loader must look at the size first).
    const fs::path big = tmp("big.yaml");
    write_text(big, "noisegraph: 1\nnodes: {}\n");
    fs::resize_file(big, 100u * 1024u * 1024u);
    const auto t0 = std::chrono::steady_clock::now();
    try {
      load_graph(big);
      QFAIL("100 MB file was accepted");
    } catch (const GraphError& e) {
      QCOMPARE(e.problem().code, std::string("file_too_large"));
      QVERIFY(std::string(e.what()).find("big.yaml") != std::string::npos);
    }
    QVERIFY2(seconds_since(t0) < 0.5, "size check should not read the file");
    try {
      load_graph_from_string(std::string(kMaxGraphFileBytes + 1, ' '));
      QFAIL("oversized string was accepted");
    } catch (const GraphError& e) {
      QCOMPARE(e.problem().code, std::string("file_too_large"));
    }
  }

  void missing_file_and_folder_are_io_errors() {
    try {
      load_graph(tmp("nope.yaml"));
      QFAIL("missing file loaded");
    } catch (const GraphError& e) {
      QCOMPARE(e.problem().code, std::string("io"));
    }
    try {
      load_graph(tmp(""));
      QFAIL("folder loaded");
    } catch (const GraphError& e) {
      QCOMPARE(e.problem().code, std::string("io"));
    }
  }

  void a_fifo_or_device_as_graph_file_is_refused_without_blocking() {
    const std::filesystem::path fifo = tmp("pipe.yaml");
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);  // opening it for reading would wait for a writer
    for (const std::filesystem::path& p : {fifo, std::filesystem::path("/dev/zero")}) {
      try {
        load_graph(p);
        QFAIL("non-regular file loaded");
      } catch (const GraphError& e) {
        QCOMPARE(e.problem().code, std::string("io"));
        QVERIFY(e.problem().message.find("not a regular file") != std::string::npos);
      }
    }
  }

  void save_is_atomic_and_leaves_no_temporary_files() {
    Graph g = load_graph(graph_file("sum.yaml"));
    const fs::path dir = tmp("atomic");
    fs::create_directories(dir);
    write_text(dir / "g.yaml", "old contents\n");
    save_graph(g, dir / "g.yaml");
    QCOMPARE(read_text(dir / "g.yaml"), to_yaml(g));
    int files = 0;
    for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file() ? 1 : 0;
    QCOMPARE(files, 1);
    try {
      save_graph(g, dir / "missing" / "g.yaml");
      QFAIL("saved into a missing folder");
    } catch (const GraphError& e) {
      QCOMPARE(e.problem().code, std::string("io"));
    }
  }
};

QTEST_GUILESS_MAIN(TestGraphIo)
#include "test_graph_io.moc"
