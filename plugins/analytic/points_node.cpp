// analytic.points: the exact posterior-mean denoiser of a finite point set (or image set).
#include <ATen/ATen.h>
#include <noisegraph/diffusion/analytic.hpp>
#include <noisegraph/registrar.hpp>

#include <sstream>

#include "nodes.hpp"

namespace ng::analytic {
namespace {

// "x,y; x,y; ..." -> rows of numbers, all of one length.
std::vector<std::vector<double>> parse_points(const std::string& text) {
  std::vector<std::vector<double>> rows;
  std::stringstream all(text);
  std::string item;
  while (std::getline(all, item, ';')) {
    if (item.find_first_not_of(" \t\n") == std::string::npos) continue;
    std::vector<double> row;
    std::stringstream parts(item);
    std::string num;
    while (std::getline(parts, num, ',')) {
      try {
        size_t used = 0;
        row.push_back(std::stod(num, &used));
        if (num.find_first_not_of(" \t\n", used) != std::string::npos) throw std::invalid_argument(num);
      } catch (const std::exception&) {
        throw Error("analytic.points: '" + num + "' in point '" + item + "' is not a number");
      }
    }
    if (!rows.empty() && row.size() != rows[0].size())
      throw Error("analytic.points: point '" + item + "' has " + std::to_string(row.size()) +
                  " coordinates, the first point has " + std::to_string(rows[0].size()));
    rows.push_back(row);
  }
  if (rows.empty()) throw Error("analytic.points: no points given (expected e.g. \"-1,0; 1,1\")");
  return rows;
}

std::vector<int64_t> parse_labels(const std::string& text, size_t n) {
  std::vector<int64_t> labels;
  if (text.find_first_not_of(" \t\n") == std::string::npos) return std::vector<int64_t>(n, -1);
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ',')) {
    try {
      labels.push_back(std::stoll(item));
    } catch (const std::exception&) {
      throw Error("analytic.points: label '" + item + "' is not an integer");
    }
    if (labels.back() < 0) throw Error("analytic.points: labels must be >= 0");
  }
  if (labels.size() != n)
    throw Error("analytic.points: " + std::to_string(labels.size()) + " labels for " + std::to_string(n) + " points");
  return labels;
}

}  // namespace

void register_points_node(Registrar& r) {
  NodeSpec spec("analytic.points", {1, 0});
  spec.display("Point set model (exact)").category("analytic")
      .describe("The exact denoiser of data that is a finite set of points: D(x, sigma) = sum_i w_i(x) p_i with "
                "softmax weights -|x - p_i|^2 / (2 sigma^2). Samples land on the points. With `images` "
                "connected the points are those images in pixel space ([0,1] mapped to [-1,1], decode with "
                "autoencoder.pixel): the model reproduces its 'training set' exactly. Otherwise `points` "
                "lists D-dimensional points as samples of shape [D,1,1].")
      .optional_input("images", type::Image).describe("images used as the points")
      .output("model", type::Model)
      .param("points", "-1,0; 1,1; 0.5,-1.5").describe("points separated by ';', coordinates by ','")
      .param("labels", "").describe("optional class per point, comma separated (makes the model class-conditional)")
      .param("spread", 0.0).range(0.0, 10.0).describe("std of a Gaussian around each point (0 = exact points)");
  add_sampling_params(spec);
  spec.run([](NodeCall& call) {
    std::vector<at::Tensor> means;
    if (call.has("images")) {
      const auto img = call.tensor("images").to(at::kDouble) * 2.0 - 1.0;
      for (int64_t i = 0; i < img.size(0); ++i) means.push_back(img[i]);
    } else {
      for (const auto& p : parse_points(call.param_string("points")))
        means.push_back(at::tensor(p, at::kDouble).view({int64_t(p.size()), 1, 1}));
    }
    const auto labels = parse_labels(call.param_string("labels"), means.size());
    const double var = std::pow(call.param_float("spread"), 2);
    std::vector<diffusion::MixtureComponent> comps;
    for (size_t i = 0; i < means.size(); ++i) comps.push_back({means[i], var, 1.0, labels[i]});
    std::ostringstream d;
    d << "analytic point set, " << comps.size() << " points of shape " << c10::str(means[0].sizes());
    call.set("model", std::make_shared<diffusion::MixtureDenoiser>(comps, sampling_from(call), d.str()));
  });
  r.add(std::move(spec));
}

}  // namespace ng::analytic
