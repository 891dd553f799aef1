// The image, mask and value plugins as the host sees them: loaded with Boost.DLL,
// registered explicitly, nodes run through their NodeSpec with a BasicContext.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "image_io.hpp"
#include "plugin_harness.hpp"
#include "png_output.hpp"
#include "noisegraph/context.hpp"

namespace fs = std::filesystem;
using test::run_node;
using test::tensor_of;

namespace {

class GraphContext : public ng::BasicContext {
 public:
  std::string yaml;
  std::string graph_yaml() const override { return yaml; }
};

std::string failure_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

}  // namespace

class ImageNodes : public QObject {
  Q_OBJECT
  test::LoadedPlugin image_, mask_, value_;
  QTemporaryDir tmp_;
  fs::path dir_;

 private Q_SLOTS:
  void initTestCase() {
    at::set_num_threads(int(std::thread::hardware_concurrency()));
    image_ = test::load_plugin("image");
    mask_ = test::load_plugin("mask");
    value_ = test::load_plugin("value");
    dir_ = tmp_.path().toStdString();
  }

  void plugins_register_the_documented_nodes() {
    std::set<std::string> ids;
    for (const auto* p : {&image_, &mask_, &value_})
      for (const auto& s : p->specs) ids.insert(s.id());
    const std::set<std::string> expected = {
        "image.load", "image.save", "image.resize", "image.crop", "image.pad", "image.blend",
        "image.composite", "image.batch", "image.select", "image.grid", "image.to_grey",
        "image.to_rgb", "image.invert", "image.solid", "mask.from_image", "mask.threshold",
        "mask.invert", "mask.grow", "mask.feather", "mask.rectangle", "mask.ellipse", "mask.solid",
        "mask.combine", "mask.to_image", "mask.resize", "value.int", "value.float",
        "value.string", "value.bool"};
    QCOMPARE(ids, expected);
  }

  void every_node_and_parameter_is_documented() {
    for (const auto* p : {&image_, &mask_, &value_})
      for (const auto& s : p->specs) {
        QVERIFY2(s.display_name() != s.id(), s.id().c_str());
        QVERIFY2(!s.category_name().empty(), s.id().c_str());
        QVERIFY2(!s.description().empty(), s.id().c_str());
        QVERIFY2(bool(s.runner()), s.id().c_str());
        for (const auto& param : s.params()) {
          QVERIFY2(!param.description.empty(), (s.id() + "." + param.name).c_str());
          if (param.kind == ng::ParamKind::Enum) {
            const auto& def = std::get<std::string>(param.default_value);
            QVERIFY2(std::count(param.choices.begin(), param.choices.end(), def) == 1,
                     (s.id() + "." + param.name).c_str());
          }
        }
      }
  }

  void save_then_load_through_nodes_round_trips_and_embeds_graph() {
    GraphContext ctx;
    ctx.output_dir_ = dir_ / "out";
    ctx.graph_dir_ = dir_ / "out";
    ctx.yaml = "noisegraph: 1\nnodes: {}\n";
    auto img = at::randint(0, 256, {2, 3, 5, 4}, ng::Context::make_generator(1), at::kFloat).div_(255.0);
    run_node(image_.spec("image.save"), {{"image", img}}, {{"filename_prefix", std::string("n")}}, ctx);
    QCOMPARE(ctx.messages.size(), size_t(2));
    const fs::path first = dir_ / "out" / "n_00001.png";
    QCOMPARE(ctx.messages[0], "info: wrote " + first.string());
    QCOMPARE(ng::image::read_embedded_graph(first), ctx.yaml);
    QVERIFY(image_.spec("image.save").is_output_node());

    // A relative path resolves against the graph folder.
    auto out = run_node(image_.spec("image.load"), {}, {{"path", std::string("n_00002.png")}}, ctx);
    QVERIFY(at::equal(tensor_of(out.at("image")), img.narrow(0, 1, 1)));
    QVERIFY(at::equal(tensor_of(out.at("mask")), at::zeros({1, 1, 5, 4})));
  }

  void save_without_embedding_writes_no_graph() {
    GraphContext ctx;
    ctx.output_dir_ = dir_ / "plain";
    ctx.yaml = "noisegraph: 1\n";
    run_node(image_.spec("image.save"), {{"image", at::zeros({1, 1, 2, 2})}},
             {{"filename_prefix", std::string("p")}, {"embed_graph", false}}, ctx);
    QCOMPARE(ng::image::read_embedded_graph(dir_ / "plain" / "p_00001.png"), std::string());
  }

  void load_of_missing_file_fails_with_resolved_path() {
    ng::BasicContext ctx;
    ctx.graph_dir_ = dir_ / "graphs";
    auto msg = failure_of([&] { run_node(image_.spec("image.load"), {}, {{"path", std::string("gone.png")}}, ctx); });
    QVERIFY2(msg.find((dir_ / "graphs" / "gone.png").string()) != std::string::npos, msg.c_str());
  }

  void save_to_unusable_output_folder_fails_cleanly() {
    ng::BasicContext ctx;
    std::ofstream(dir_ / "file") << "x";
    ctx.output_dir_ = dir_ / "file";
    auto msg = failure_of([&] { run_node(image_.spec("image.save"), {{"image", at::zeros({1, 1, 2, 2})}}, {}, ctx); });
    QVERIFY2(msg.find("cannot create output folder") != std::string::npos, msg.c_str());
    QVERIFY(ctx.messages.empty());
  }

  void batch_joins_any_number_of_inputs_in_order() {
    GraphContext ctx;
    auto img = [](float v) { return ng::Value(at::full({1, 1, 2, 2}, v)); };
    // more_2 before more_1 in the map: the node reads them by number, not by position.
    auto out = run_node(image_.spec("image.batch"),
                        {{"a", img(0)}, {"b", img(1)}, {"more_2", img(3)}, {"more_1", img(2)}}, {}, ctx);
    const auto joined = tensor_of(out.at("image"));
    QCOMPARE(joined.size(0), int64_t(4));
    for (int k = 0; k < 4; ++k) QCOMPARE(joined[k].mean().item<float>(), float(k));
    // The port names the graph may use: more_1, more_2, ...; not "more" or "more_0".
    const auto& spec = image_.spec("image.batch");
    QVERIFY(spec.find_input("more_1") && spec.find_input("more_12"));
    QVERIFY(!spec.find_input("more") && !spec.find_input("more_0") && !spec.find_input("more_01"));
  }

  void pad_node_outputs_image_and_outpaint_mask() {
    ng::BasicContext ctx;
    auto out = run_node(image_.spec("image.pad"), {{"image", at::zeros({1, 3, 2, 2})}},
                        {{"right", int64_t(1)}, {"fill", 1.0}}, ctx);
    auto mask = tensor_of(out.at("mask"));
    QCOMPARE(mask.sizes().vec(), (std::vector<int64_t>{1, 1, 2, 3}));
    QVERIFY(at::equal(mask[0][0], at::tensor({0.0f, 0.0f, 1.0f, 0.0f, 0.0f, 1.0f}).view({2, 3})));
    QVERIFY(at::equal(tensor_of(out.at("image")).narrow(3, 2, 1), at::ones({1, 3, 2, 1})));
  }

  void composite_node_works_with_and_without_mask() {
    ng::BasicContext ctx;
    const auto& spec = image_.spec("image.composite");
    auto dst = at::zeros({1, 1, 2, 2});
    auto src = at::ones({1, 1, 1, 1});
    auto plain = run_node(spec, {{"destination", dst}, {"source", src}}, {{"x", int64_t(1)}}, ctx);
    QVERIFY(at::equal(tensor_of(plain.at("image")), at::tensor({0.0f, 1.0f, 0.0f, 0.0f}).view({1, 1, 2, 2})));
    auto masked = run_node(spec, {{"destination", dst}, {"source", src}, {"mask", at::full({1, 1, 1, 1}, 0.5)}},
                           {{"y", int64_t(1)}}, ctx);
    QVERIFY(at::allclose(tensor_of(masked.at("image")), at::tensor({0.0f, 0.0f, 0.5f, 0.0f}).view({1, 1, 2, 2})));
  }

  void resize_node_combines_size_parameters() {
    ng::BasicContext ctx;
    auto out = run_node(image_.spec("image.resize"), {{"image", at::rand({1, 3, 30, 40})}},
                        {{"width", int64_t(20)}, {"mode", std::string("area")}}, ctx);
    QCOMPARE(tensor_of(out.at("image")).sizes().vec(), (std::vector<int64_t>{1, 3, 15, 20}));
  }

  void bad_input_fails_without_crossing_the_boundary() {
    ng::BasicContext ctx;
    auto msg = failure_of([&] {
      run_node(image_.spec("image.crop"), {{"image", at::zeros({1, 3, 4, 4})}}, {{"x", int64_t(9)}}, ctx);
    });
    QVERIFY2(msg.find("outside the 4x4 image") != std::string::npos, msg.c_str());
    msg = failure_of([&] { run_node(image_.spec("image.invert"), {{"image", at::zeros({3, 4})}}, {}, ctx); });
    QVERIFY2(msg.find("expected an IMAGE [B,C,H,W]") != std::string::npos, msg.c_str());
  }

  void mask_nodes_chain() {
    ng::BasicContext ctx;
    auto rect = run_node(mask_.spec("mask.rectangle"), {},
                         {{"width", int64_t(8)}, {"height", int64_t(8)}, {"x", int64_t(0)}, {"y", int64_t(0)},
                          {"box_width", int64_t(4)}, {"box_height", int64_t(8)}}, ctx);
    auto small = run_node(mask_.spec("mask.resize"), {{"mask", rect.at("mask")}},
                          {{"width", int64_t(2)}, {"height", int64_t(2)}}, ctx);
    QVERIFY(at::equal(tensor_of(small.at("mask")), at::tensor({1.0f, 0.0f, 1.0f, 0.0f}).view({1, 1, 2, 2})));
    auto img = run_node(mask_.spec("mask.to_image"), {{"mask", small.at("mask")}},
                        {{"channels", std::string("rgb")}}, ctx);
    QCOMPARE(tensor_of(img.at("image")).size(1), 3);
  }

  void value_nodes_output_their_parameter() {
    ng::BasicContext ctx;
    QCOMPARE(std::get<int64_t>(run_node(value_.spec("value.int"), {}, {{"value", int64_t(7)}}, ctx).at("value").data), 7);
    QCOMPARE(std::get<double>(run_node(value_.spec("value.float"), {}, {{"value", 2.5}}, ctx).at("value").data), 2.5);
    QCOMPARE(std::get<std::string>(run_node(value_.spec("value.string"), {}, {{"value", std::string("a cat")}}, ctx)
                                       .at("value").data),
             std::string("a cat"));
    QCOMPARE(std::get<bool>(run_node(value_.spec("value.bool"), {}, {{"value", true}}, ctx).at("value").data), true);
  }
};

QTEST_APPLESS_MAIN(ImageNodes)
#include "test_image_nodes.moc"
