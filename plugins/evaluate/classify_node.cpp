// evaluate.classify: how recognisable generated images are (accuracy of a clean
// classifier against the requested classes) and how close their feature distribution is
// to real images (Frechet distance on the classifier's penultimate features).
#include <ATen/ATen.h>
#include <noisegraph/error.hpp>
#include <noisegraph/io/json.hpp>
#include <noisegraph/io/safetensors.hpp>
#include <noisegraph/nn/metrics.hpp>
#include <noisegraph/nn/model_files.hpp>
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>
#include <noisegraph/train/dataset.hpp>

#include <cmath>
#include <sstream>

namespace ng::evaluate {

namespace {

// Expected class of each of n images from a spec: "" (none), "k", "cycle" (i % K),
// "blocks" (n/K consecutive images per class) or a comma-separated list.
std::vector<int64_t> expected_classes(const std::string& spec, int64_t n, int64_t K) {
  std::vector<int64_t> out;
  if (spec.empty()) return out;
  for (int64_t i = 0; i < n; ++i) {
    if (spec == "cycle") out.push_back(i % K);
    else if (spec == "blocks") out.push_back(std::min(K - 1, i * K / n));
  }
  if (!out.empty()) return out;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t used = 0;
    int64_t v = -1;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
    }
    if (!used || v < 0 || v >= K)
      throw Error("expected: \"" + spec + "\" is not a class index 0.." + std::to_string(K - 1) +
                  ", 'cycle', 'blocks' or a comma-separated list");
    out.push_back(v);
  }
  if (out.size() == 1) out.assign(size_t(n), out[0]);
  if (int64_t(out.size()) != n)
    throw Error("expected: " + std::to_string(out.size()) + " labels for " + std::to_string(n) + " images");
  return out;
}

at::Tensor batched_features(nn::FeatureClassifier& c, const at::Tensor& images) {
  std::vector<at::Tensor> parts;
  for (int64_t i = 0; i < images.size(0); i += 500) parts.push_back(c.features(images.narrow(0, i, std::min<int64_t>(500, images.size(0) - i))));
  return at::cat(parts);
}

}  // namespace

void register_classify_node(Registrar& r) {
  NodeSpec spec("evaluate.classify", {1, 0});
  spec.display("Evaluate images")
      .category("evaluation")
      .describe("Classifies an IMAGE batch with a clean image classifier. Reports the fraction "
                "recognised as the expected class and the Frechet distance between the "
                "classifier's penultimate features of the batch and of real Fashion-MNIST images. "
                "Logs the numbers and writes them to a JSON file.")
      .output_node()
      .input("images", type::Image)
      .path_param("classifier", "fmnist-eval-classifier.safetensors")
      .describe("image classifier file with features (trained on real training images only)")
      .optional_input("labels", type::String)
      .describe("expected classes, comma-separated (overrides 'expected')")
      .output("accuracy", type::Float)
      .describe("fraction recognised as expected (NaN when nothing is expected)")
      .output("frechet", type::Float)
      .describe("Frechet distance to the reference set (NaN without reference)")
      .param("expected", "cycle")
      .describe("class of each image: a class index, 'cycle' (image i is class i mod 10), 'blocks' "
                "(equal consecutive blocks per class), a comma list, or empty")
      .enum_param("reference", {"test", "train", "none"}, "test")
      .describe("real images to compare features with")
      .param("reference_count", 10000)
      .range(2, 60000)
      .write_path_param("report", "evaluation.json")
      .describe("JSON file written in the output folder (empty = none); it cannot leave that folder");
  spec.run([](NodeCall& call) {
    auto& ctx = call.context();
    auto clf = nn::load_feature_classifier(call.param_path("classifier"));
    auto images = call.tensor("images");
    const int64_t n = images.size(0), K = int64_t(clf->class_names().size());
    const auto expected = expected_classes(call.has("labels") ? call.string_input("labels") : call.param_string("expected"),
                                           n, K);
    at::Tensor logits;
    {
      std::vector<at::Tensor> parts;
      for (int64_t i = 0; i < n; i += 500)
        parts.push_back(clf->logits(images.narrow(0, i, std::min<int64_t>(500, n - i)), {}));
      logits = at::cat(parts);
    }
    auto predicted = logits.argmax(1);
    json::Value report = json::Object{};
    report.set("images", n);
    double accuracy = std::nan("");
    if (!expected.empty()) {
      auto want = at::tensor(expected);
      accuracy = (predicted == want).to(at::kDouble).mean().item<double>();
      json::Array per_class;
      for (int64_t k = 0; k < K; ++k) {
        auto sel = want == k;
        const auto cnt = sel.sum().item<int64_t>();
        per_class.emplace_back(cnt ? ((predicted == want) & sel).sum().item<double>() / double(cnt) : -1.0);
      }
      report.set("accuracy", accuracy);
      report.set("accuracy_per_class", json::Value(std::move(per_class)));
    }
    double frechet = std::nan("");
    const std::string ref = call.param_string("reference");
    if (ref != "none") {
      auto data = train::load_fashion_mnist({}, ref == "train" ? "train" : "t10k", call.param_int("reference_count"));
      auto real = batched_features(*clf, train::to_images(data, at::arange(data.size())));
      frechet = nn::frechet_distance(batched_features(*clf, images), real);
      report.set("frechet_distance", frechet);
      report.set("reference", ref);
      report.set("reference_count", data.size());
    }
    std::ostringstream msg;
    msg << "evaluate: " << n << " images";
    if (!expected.empty()) msg << ", accuracy " << accuracy;
    if (ref != "none") msg << ", Frechet distance " << frechet << " vs " << ref;
    ctx.log(LogLevel::Info, msg.str());
    if (!call.param_string("report").empty()) {
      const auto path = call.param_path("report");  // inside the output folder (checked by the host)
      io::write_file_atomic(path, json::dump(report, true) + "\n");
      ctx.report_file(path);
    }
    call.set("accuracy", accuracy);
    call.set("frechet", frechet);
  });
  r.add(std::move(spec));
}

}  // namespace ng::evaluate
