// Validation reports every problem at once, each at its file:line:column with the node id.
#include <noisegraph/host/graph_io.hpp>
#include <noisegraph/host/plugin_registry.hpp>
#include <noisegraph/host/validate.hpp>

#include <random>

#include "test_helpers.hpp"

using namespace ng::host;
using namespace ng_test;

class TestValidate : public QObject {
  Q_OBJECT

 private:
  PluginRegistry registry_;
  std::vector<Problem> problems_;

  const Problem* find(const std::string& code, const std::string& node, int nth = 0) const {
    for (const auto& p : problems_)
      if (p.code == code && p.node == node && nth-- == 0) return &p;
    return nullptr;
  }

  void expect(const std::string& code, const std::string& node, int line, int column, int nth = 0) {
    const Problem* p = find(code, node, nth);
    QVERIFY2(p, (code + " for node " + node + " not reported").c_str());
    QCOMPARE(p->line, line);
    QCOMPARE(p->column, column);
    QCOMPARE(p->file, graph_file("invalid.yaml").string());
    QVERIFY(!p->message.empty());
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(registry_.load_file(std::string(NG_TEST_PLUGIN_DIR) + "/testing.so"));
    problems_ = validate(load_graph(graph_file("invalid.yaml")), registry_);
    for (const auto& p : problems_) qDebug("%s", format_problem(p).c_str());
  }

  void links_need_equal_types_or_an_any_input() {
    QVERIFY(port_accepts("IMAGE", "IMAGE"));
    QVERIFY(port_accepts("ANY", "LATENT"));     // an ANY input takes everything
    QVERIFY(!port_accepts("LATENT", "ANY"));    // but ANY is never an output type to rely on
    QVERIFY(!port_accepts("IMAGE", "MASK"));    // no implicit conversions
    QVERIFY(!port_accepts("image", "IMAGE"));   // type names are case-sensitive
  }

  void a_valid_graph_has_no_problems() {
    QVERIFY(validate(load_graph(graph_file("sum.yaml")), registry_).empty());
    QVERIFY(validate(load_graph(graph_file("canonical.yaml")), registry_).empty());
  }

  void unknown_node_type_lists_plugins_and_suggests_a_fix() {
    expect("unknown_node_type", "a", 4, 11);
    const Problem* p = find("unknown_node_type", "a");
    QVERIFY(p->message.find("testing.constnat") != std::string::npos);
    QVERIFY(p->message.find("loaded plugins: 'testing'") != std::string::npos);
    QCOMPARE(p->hint, std::string("did you mean 'testing.constant'?"));
  }

  void node_versions_follow_major_minor_rules() {
    expect("node_version_too_new", "b", 7, 14);
    expect("node_version_incompatible", "v2", 29, 14);
    // Same major, older or equal minor is fine: canonical.yaml saves 1.2 for a 1.2 node.
    QVERIFY(!find("node_version_too_new", "a"));
  }

  void bad_parameter_values_are_located_at_the_value() {
    expect("param_type", "b", 8, 21);
    expect("unknown_param", "b", 8, 35);
    QCOMPARE(find("unknown_param", "b")->hint, std::string("did you mean 'value'?"));
    expect("param_out_of_range", "p", 20, 21);
    QVERIFY(find("param_out_of_range", "p")->message.find("between 1 and 10, found 11") != std::string::npos);
    expect("param_out_of_range", "p", 20, 33, 1);
    expect("param_type", "p", 20, 45);
    expect("param_not_in_choices", "p", 20, 58);
    QCOMPARE(find("param_not_in_choices", "p")->hint, std::string("did you mean 'slow'?"));
    expect("param_out_of_range", "p", 20, 70, 2);
  }

  void links_are_checked_for_port_node_output_and_type() {
    expect("unknown_input", "c", 11, 29);
    expect("dangling_reference", "c", 11, 41);
    expect("unknown_output", "d", 14, 17);
    expect("missing_input", "d", 12, 3);
    QVERIFY(find("missing_input", "d")->hint.find("connect it") == 0);
    expect("type_mismatch", "e", 17, 21);
    QVERIFY(find("type_mismatch", "e")->message.find("expects IMAGE, but 'b.value' is FLOAT") != std::string::npos);
  }

  void cycles_are_reported_once_with_their_path() {
    int cycles = 0;
    for (const auto& p : problems_) cycles += p.code == "cycle";
    QCOMPARE(cycles, 1);
    expect("cycle", "x", 21, 3);
    QVERIFY(find("cycle", "x")->message.find("x -> y -> x") != std::string::npos);
  }

  void every_problem_is_reported_in_one_pass() {
    // 16 distinct problems are planted in invalid.yaml.
    QCOMPARE(problems_.size(), std::size_t(16));
  }

  void load_problems_and_format_version_come_first() {
    Graph g = load_graph_from_string("noisegraph: 2\nnodes:\n  a: {type: testing.constant}\n  a: {type: testing.add}\n", "v.yaml");
    auto problems = validate(g, registry_);
    QCOMPARE(problems.size(), std::size_t(2));
    QCOMPARE(problems[0].code, std::string("duplicate_id"));
    QCOMPARE(problems[1].code, std::string("format_version"));
    QCOMPARE(problems[1].line, 1);
  }

  void unknown_type_from_a_plugin_that_failed_says_why() {
    PluginRegistry r;
    r.load_directory(NG_BAD_PLUGIN_DIR);
    Graph g = load_graph_from_string("noisegraph: 1\nnodes:\n  a: {type: fixture_throwing.node}\n", "t.yaml");
    auto problems = validate(g, r);
    QCOMPARE(problems.size(), std::size_t(1));
    QVERIFY(problems[0].hint.find("plugin 'fixture_throwing' failed to load") != std::string::npos);
  }

  void resolve_params_fills_defaults_and_types_values() {
    Graph g = load_graph_from_string("noisegraph: 1\nnodes:\n  p: {type: testing.params, params: {count: 4, number: 1, flag: True}}\n");
    auto params = resolve_params(g.nodes.at("p"), registry_.find("testing.params")->spec);
    QCOMPARE(std::get<int64_t>(params.at("count")), int64_t{4});
    QCOMPARE(std::get<double>(params.at("number")), 1.0);  // an integer is a fine float
    QCOMPARE(std::get<bool>(params.at("flag")), true);
    QCOMPARE(std::get<std::string>(params.at("label")), std::string("hello"));  // default
    QCOMPARE(std::get<uint64_t>(params.at("seed")), uint64_t{7});
    QCOMPARE(params.size(), std::size_t(7));
  }

  void parse_param_explains_what_was_expected() {
    const ng::ParamSpec& count = *registry_.find("testing.params")->spec.find_param("count");
    Problem p;
    QVERIFY(!parse_param(Scalar("2.5"), count, &p));
    QCOMPARE(p.code, std::string("param_type"));
    QVERIFY(p.message.find("expects an integer, found '2.5'") != std::string::npos);
    QCOMPARE(p.hint, std::string("write a whole number, e.g. 3"));
    Scalar nothing;
    nothing.null = true;
    QVERIFY(!parse_param(nothing, count, &p));
    QVERIFY(p.message.find("found nothing") != std::string::npos);
    QVERIFY(parse_param(Scalar("+5"), count).has_value());
    const ng::ParamSpec& number = *registry_.find("testing.params")->spec.find_param("number");
    QVERIFY(!parse_param(Scalar(".nan"), number, &p));
    QVERIFY(parse_param(Scalar("1e-1"), number).has_value());
  }

  void did_you_mean_finds_typos_and_bare_names() {
    const std::vector<std::string> ids{"sample.ksampler", "schedule.karras", "image.load"};
    QCOMPARE(did_you_mean("sample.ksamplr", ids), (std::vector<std::string>{"sample.ksampler"}));
    QCOMPARE(did_you_mean("ksampler", ids), (std::vector<std::string>{"sample.ksampler"}));
    QVERIFY(did_you_mean("completely.different", ids).empty());
  }

  void upstream_order_puts_inputs_first_and_skips_unrelated_nodes() {
    Graph g = load_graph(graph_file("canonical.yaml"));
    auto order = upstream_order(g, {"out"});
    QCOMPARE(order, (std::vector<std::string>{"a", "b", "sum", "out"}));
  }

  void corrupted_files_give_errors_never_crashes() {
    // 3000 seeded random corruptions of real graphs: each must load or fail with a
    // GraphError, and whatever loads must validate and round-trip.
    const std::vector<std::string> originals{read_text(graph_file("canonical.yaml")), read_text(graph_file("invalid.yaml"))};
    const std::string alphabet = "{}[],:.-_ \n\t\"'&*!|>#?%@`0123456789abcxyz";
    std::mt19937 rng(1234);
    int loaded = 0;
    for (int i = 0; i < 3000; ++i) {
      std::string text = originals[std::size_t(i) % originals.size()];
      const int edits = 1 + int(rng() % 4);
      for (int k = 0; k < edits; ++k) {
        const std::size_t pos = rng() % text.size();
        switch (rng() % 3) {
          case 0: text[pos] = alphabet[rng() % alphabet.size()]; break;
          case 1: text.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
          default: text.erase(pos, 1 + rng() % 8); break;
        }
        if (text.empty()) text = "x";
      }
      try {
        Graph g = load_graph_from_string(text, "fuzz.yaml");
        validate(g, registry_);
        // Whatever loads also saves, and what we save reads back to the same text.
        const std::string saved = to_yaml(g);
        QCOMPARE(to_yaml(load_graph_from_string(saved, "fuzz.yaml")), saved);
        ++loaded;
      } catch (const GraphError& e) {
        QVERIFY(!e.problem().code.empty());
      }
    }
    qDebug("%d of 3000 corrupted graphs still loaded", loaded);
    QVERIFY(loaded > 0);
  }

  void upstream_order_survives_a_very_long_chain() {
    // 100000 nodes deep: the walk must not recurse once per node.
    Graph g;
    g.add_node("testing.constant", {}, "n0");
    for (int i = 1; i < 100000; ++i) {
      const std::string id = "n" + std::to_string(i);
      g.add_node("testing.count", {}, id);
      g.connect("n" + std::to_string(i - 1), "value", id, "value");
    }
    QCOMPARE(upstream_order(g, {"n99999"}).size(), std::size_t(100000));
  }
};

QTEST_GUILESS_MAIN(TestValidate)
#include "test_validate.moc"
