// Running graphs: order, caching, failures, cancellation, seeds, files and folders.
#include <noisegraph/host/executor.hpp>
#include <noisegraph/host/graph_io.hpp>
#include <noisegraph/host/plan.hpp>
#include <noisegraph/host/plugin_registry.hpp>

#include <future>
#include <thread>

#include "test_helpers.hpp"

using namespace ng::host;
using namespace ng_test;
namespace fs = std::filesystem;

namespace {

struct Recorder : Observer {
  std::vector<std::pair<std::string, NodeState>> states;
  std::vector<std::string> logs;
  std::vector<fs::path> files;
  int steps = 0;
  void on_node_state(const std::string& node, NodeState s, const std::string&) override { states.emplace_back(node, s); }
  void on_step(const std::string&, int, int, const at::Tensor&) override { ++steps; }
  void on_log(const std::string& node, ng::LogLevel, const std::string& text) override { logs.push_back(node + ": " + text); }
  void on_file(const std::string&, const fs::path& f) override { files.push_back(f); }
};

// a -> c1 -> c2 --+
//            c3 -> sum -> out        (c1, c2, c3 are testing.count)
const char* kCountGraph = R"(noisegraph: 1
nodes:
  a: {type: testing.constant, params: {value: 1}}
  c1: {type: testing.count, inputs: {value: a.value}, params: {offset: 10}}
  c2: {type: testing.count, inputs: {value: c1.value}, params: {offset: 100}}
  c3: {type: testing.count, params: {offset: 1000}}
  sum: {type: testing.add, inputs: {a: c2.value, b: c3.value}}
  unused: {type: testing.count}
  out: {type: testing.sink, inputs: {value: sum.sum}}
)";

}  // namespace

class TestExecutor : public QObject {
  Q_OBJECT

 private:
  PluginRegistry registry_;
  QTemporaryDir tmp_;
  RunOptions options() const {
    RunOptions o;
    o.output_dir = fs::path(tmp_.path().toStdString()) / "out";
    o.threads = 1;
    return o;
  }
  static bool cached(const RunResult& r, const std::string& id) {
    for (const auto& n : r.nodes)
      if (n.id == id) return n.cached;
    return false;
  }
  static bool ran(const RunResult& r, const std::string& id) {
    for (const auto& n : r.nodes)
      if (n.id == id) return true;
    return false;
  }
  static int64_t runs_of(const Executor& e, const std::string& id) {
    return std::get<int64_t>(e.outputs_of(id)->at("runs").data);
  }

 private Q_SLOTS:
  void initTestCase() { QVERIFY(registry_.load_file(std::string(NG_TEST_PLUGIN_DIR) + "/testing.so")); }

  void runs_upstream_of_outputs_in_order_and_writes_files() {
    Executor e(registry_);
    Recorder rec;
    RunResult r = e.run(load_graph_from_string(kCountGraph), options(), &rec);
    QVERIFY2(r.ok(), r.message.c_str());
    std::vector<std::string> order;
    for (const auto& n : r.nodes) order.push_back(n.id);
    QCOMPARE(order, (std::vector<std::string>{"a", "c1", "c2", "c3", "sum", "out"}));
    QVERIFY(!ran(r, "unused"));
    QCOMPARE(r.files.size(), std::size_t(1));
    QCOMPARE(r.files[0].node, std::string("out"));
    QCOMPARE(r.files[0].path, options().output_dir / "out.txt");
    QCOMPARE(rec.files, std::vector<fs::path>{r.files[0].path});
    QCOMPARE(read_text(r.files[0].path), std::string("1111\n"));  // 1 + 10 + 100 + 1000
    QCOMPARE(std::get<double>(e.outputs_of("sum")->at("sum").data), 1111.0);
    QVERIFY(!e.outputs_of("unused"));
  }

  void rerun_without_changes_takes_everything_but_outputs_from_the_cache() {
    Executor e(registry_);
    Graph g = load_graph_from_string(kCountGraph);
    QVERIFY(e.run(g, options()).ok());
    const int64_t before = runs_of(e, "c3");
    Recorder rec;
    RunResult r = e.run(g, options(), &rec);
    QVERIFY(r.ok());
    for (const auto* id : {"a", "c1", "c2", "c3", "sum"}) QVERIFY2(cached(r, id), id);
    QVERIFY(!cached(r, "out"));  // output nodes always run
    QCOMPARE(runs_of(e, "c3"), before);  // same cached outputs
    QVERIFY(std::find(rec.states.begin(), rec.states.end(), std::make_pair(std::string("c1"), NodeState::Cached)) != rec.states.end());
  }

  void changing_one_param_reruns_only_that_node_and_downstream() {
    Executor e(registry_);
    Graph g = load_graph_from_string(kCountGraph);
    QVERIFY(e.run(g, options()).ok());
    const int64_t c1_runs = runs_of(e, "c1"), c3_runs = runs_of(e, "c3");
    g.set_param("c2", "offset", ng::ParamValue(200.0));
    RunResult r = e.run(g, options());
    QVERIFY(r.ok());
    QVERIFY(cached(r, "a") && cached(r, "c1") && cached(r, "c3"));
    QVERIFY(!cached(r, "c2") && !cached(r, "sum"));
    // Exactly one testing.count ran: c2, and it saw the counter move by one.
    QCOMPARE(runs_of(e, "c1"), c1_runs);
    QCOMPARE(runs_of(e, "c3"), c3_runs);
    QCOMPARE(runs_of(e, "c2"), std::max(c1_runs, c3_runs) + 1);
    QCOMPARE(read_text(options().output_dir / "out.txt"), std::string("1211\n"));
    // Equivalent spellings of a value are the same value: 200 == 200.0, no rerun.
    g.set_param("c2", "offset", Scalar("200"));
    QVERIFY(cached(e.run(g, options()), "c2"));
  }

  void cache_keeps_only_what_the_last_run_used() {
    Executor e(registry_);
    Graph g = load_graph_from_string(kCountGraph);
    QVERIFY(e.run(g, options()).ok());
    QCOMPARE(e.cache_size(), std::size_t(5));  // a c1 c2 c3 sum
    g.set_param("a", "value", ng::ParamValue(2.0));
    QVERIFY(e.run(g, options()).ok());
    QCOMPARE(e.cache_size(), std::size_t(5));
    e.clear_cache();
    QCOMPARE(e.cache_size(), std::size_t(0));
  }

  void a_changed_file_behind_a_path_param_invalidates_the_cache() {
    const fs::path dir = fs::path(tmp_.path().toStdString()) / "pathgraph";
    fs::create_directories(dir);
    write_text(dir / "data.txt", "abc");
    write_text(dir / "g.yaml",
               "noisegraph: 1\nnodes:\n  f: {type: testing.file_size, params: {file: data.txt}}\n"
               "  out: {type: testing.sink, inputs: {value: f.bytes}}\n");
    Executor e(registry_);
    Graph g = load_graph(dir / "g.yaml");
    RunResult r = e.run(g, options());
    QVERIFY2(r.ok(), r.message.c_str());  // relative path resolved against the graph's folder
    QCOMPARE(read_text(options().output_dir / "out.txt"), std::string("3\n"));
    QVERIFY(cached(e.run(g, options()), "f"));
    write_text(dir / "data.txt", "abcdef");
    r = e.run(g, options());
    QVERIFY(!cached(r, "f"));
    QCOMPARE(read_text(options().output_dir / "out.txt"), std::string("6\n"));
  }

  void a_throwing_node_stops_the_run_with_its_id_type_and_message() {
    Executor e(registry_);
    Recorder rec;
    RunResult r = e.run(load_graph(graph_file("failing.yaml")), options(), &rec);
    QCOMPARE(r.status, RunResult::Status::Failed);
    QCOMPARE(r.failed_node, std::string("boom"));
    QCOMPARE(r.failed_type, std::string("testing.fail"));
    QCOMPARE(r.message, std::string("the fixture failed on purpose"));
    QVERIFY(!ran(r, "out"));
    QVERIFY(e.outputs_of("a"));  // what ran before the failure stays inspectable
    QVERIFY(!e.outputs_of("out"));
    QVERIFY(std::find(rec.states.begin(), rec.states.end(), std::make_pair(std::string("boom"), NodeState::Failed)) != rec.states.end());
  }

  void a_node_that_forgets_an_output_or_sets_the_wrong_type_fails() {
    Executor e(registry_);
    Graph g = load_graph(graph_file("failing.yaml"));
    g.set_param("boom", "mode", Scalar("no_output"));
    RunResult r = e.run(g, options());
    QCOMPARE(r.failed_node, std::string("boom"));
    QVERIFY(r.message.find("did not set its output 'value'") != std::string::npos);
    g.set_param("boom", "mode", Scalar("wrong_type"));
    r = e.run(g, options());
    QVERIFY(r.message.find("is not a FLOAT") != std::string::npos);
  }

  void cancel_stops_a_running_node_within_a_step() {
    Executor e(registry_);
    Graph g = load_graph(graph_file("slow.yaml"));  // 10 s unless cancelled
    Recorder rec;
    auto t0 = std::chrono::steady_clock::now();
    auto future = std::async(std::launch::async, [&] { return e.run(g, options(), &rec); });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    e.request_cancel();
    RunResult r = future.get();
    QCOMPARE(r.status, RunResult::Status::Cancelled);
    QCOMPARE(r.failed_node, std::string("wait"));
    QVERIFY2(seconds_since(t0) < 2.0, "cancel took longer than a few steps");
    QVERIFY(rec.steps > 0 && rec.steps < 2000);
    // The flag is cleared by the next run.
    g.set_param("wait", "steps", ng::ParamValue(int64_t{3}));
    QVERIFY(e.run(g, options()).ok());
  }

  void seed_override_sets_every_seed_parameter() {
    Executor e(registry_);
    Graph g = load_graph(graph_file("seeded.yaml"));
    QVERIFY(e.run(g, options()).ok());
    QCOMPARE(read_text(options().output_dir / "seed_p.txt"), std::string("5\n"));
    QCOMPARE(read_text(options().output_dir / "seed_q.txt"), std::string("7\n"));  // default
    RunOptions o = options();
    o.seed = 123;
    QVERIFY(e.run(g, o).ok());
    QCOMPARE(read_text(o.output_dir / "seed_p.txt"), std::string("123\n"));
    QCOMPARE(read_text(o.output_dir / "seed_q.txt"), std::string("123\n"));
  }

  void a_plan_types_every_parameter_once_and_takes_typed_overrides() {
    Graph g = load_graph(graph_file("inputs.yaml"));
    Plan plan = make_plan(g, registry_, run_roots(g, options()));
    QVERIFY(plan.ok());
    const auto& p = plan.nodes.at("p").params;
    QCOMPARE(std::get<uint64_t>(p.at("seed")), uint64_t(5));
    QCOMPARE(std::get<int64_t>(p.at("count")), int64_t(3));  // default filled in
    // A graph input sets every target, typed; the plan's graph says so too (for embedding).
    QVERIFY(!plan.set_input("value", "2.5", "input value"));
    QCOMPARE(std::get<double>(plan.nodes.at("a").params.at("value")), 2.5);
    QCOMPARE(std::get<double>(plan.nodes.at("b").params.at("value")), 2.5);
    QCOMPARE(plan.graph.find("b")->params.at("value").text, std::string("2.5"));
    // Seeds are unsigned 64-bit: the largest one is a valid value.
    QVERIFY(!plan.set_param_text("p", "seed", "18446744073709551615", "--set"));
    QCOMPARE(std::get<uint64_t>(plan.nodes.at("p").params.at("seed")), ~uint64_t{0});
    const auto too_big = plan.set_param_text("p", "seed", "18446744073709551616", "--set p.seed=...");
    QVERIFY(too_big);
    QCOMPARE(too_big->code, std::string("param_type"));
    QCOMPARE(too_big->file, std::string("--set p.seed=..."));
    // Wrong kind and unknown names are problems, and the plan keeps its old value.
    const auto bad = plan.set_input("value", "lots", "input value");
    QVERIFY(bad && bad->code == "param_type");
    QCOMPARE(std::get<double>(plan.nodes.at("a").params.at("value")), 2.5);
    const auto unknown = plan.set_input("valeu", "1", "input valeu");
    QVERIFY(unknown && unknown->code == "unknown_graph_input");
    QVERIFY(unknown->hint.find("'value'") != std::string::npos);
    QVERIFY(plan.set_param("p", "count", ng::ParamValue(int64_t{11}), "x")->code == "param_out_of_range");
    // Paths set later follow the same rule as paths in the file.
    QCOMPARE(plan.set_param_text("p", "file", "/dev/zero", "--set p.file=/dev/zero")->code, std::string("path_not_regular"));

    Executor e(registry_);
    plan.set_seed(~uint64_t{0});
    QVERIFY(e.run(plan, options()).ok());
    QCOMPARE(read_text(options().output_dir / "out.txt"), std::string("5\n"));
    QCOMPARE(read_text(options().output_dir / "seed_out.txt"), std::string("18446744073709551615\n"));
  }

  void graph_inputs_with_bad_targets_are_plan_problems() {
    Graph g = load_graph_from_string(R"(noisegraph: 1
inputs:
  x: {to: [a.value, p.flag]}
  y: {to: nobody.value}
  z: {to: a.valeu}
nodes:
  a: {type: testing.constant}
  p: {type: testing.params}
)", "bad-inputs.yaml");
    const Plan plan = make_plan(g, registry_, run_roots(g, options()));
    std::vector<std::string> codes;
    for (const auto& p : plan.problems) codes.push_back(p.code);
    QCOMPARE(codes, (std::vector<std::string>{"input_kind_mismatch", "input_target", "input_target"}));
    QCOMPARE(plan.problems[0].line, 3);
    QVERIFY(plan.problems[2].hint.find("'value'") != std::string::npos);
  }

  void an_invalid_graph_is_refused_before_anything_runs() {
    Executor e(registry_);
    Recorder rec;
    RunResult r = e.run(load_graph(graph_file("invalid.yaml")), options(), &rec);
    QCOMPARE(r.status, RunResult::Status::Failed);
    QVERIFY(r.problems.size() > 10);
    QVERIFY(r.nodes.empty());
    QVERIFY(rec.states.empty());
  }

  void an_unusable_output_folder_is_a_clear_error() {
    const fs::path file = fs::path(tmp_.path().toStdString()) / "a_file";
    write_text(file, "x");
    RunOptions o = options();
    o.output_dir = file / "out";
    Executor e(registry_);
    RunResult r = e.run(load_graph(graph_file("sum.yaml")), o);
    QCOMPARE(r.status, RunResult::Status::Failed);
    QVERIFY2(r.message.find("cannot create output folder") == 0, r.message.c_str());
    QVERIFY(r.nodes.empty());
  }

  void a_graph_without_output_nodes_says_so() {
    Executor e(registry_);
    RunResult r = e.run(load_graph_from_string("noisegraph: 1\nnodes:\n  a: {type: testing.constant}\n"), options());
    QCOMPARE(r.status, RunResult::Status::Failed);
    QVERIFY(r.message.find("no output node") != std::string::npos);
    // ... but a target can be asked for explicitly.
    RunOptions o = options();
    o.targets = {"a"};
    QVERIFY(e.run(load_graph_from_string("noisegraph: 1\nnodes:\n  a: {type: testing.constant}\n"), o).ok());
  }

  void sampler_steps_reach_the_observer() {
    Executor e(registry_);
    Graph g = load_graph(graph_file("slow.yaml"));
    g.set_param("wait", "steps", ng::ParamValue(int64_t{7}));
    g.set_param("wait", "step_ms", ng::ParamValue(int64_t{0}));
    Recorder rec;
    QVERIFY(e.run(g, options(), &rec).ok());
    QCOMPARE(rec.steps, 7);
  }

  void devices_are_checked() {
    QVERIFY(device_problem("cpu").empty());
    QVERIFY(!device_problem("tpu").empty());
    QVERIFY(!device_problem("not a device").empty());
    if (!device_problem("cuda").empty()) {
      Executor e(registry_);
      RunOptions o = options();
      o.device = "cuda";
      RunResult r = e.run(load_graph(graph_file("sum.yaml")), o);
      QCOMPARE(r.status, RunResult::Status::Failed);
      QVERIFY(r.message.find("cuda") != std::string::npos);
    }
  }
};

QTEST_GUILESS_MAIN(TestExecutor)
#include "test_executor.moc"
