#pragma once
// The train plugin: thin node wrappers over ng::train (sdk/include/noisegraph/train).
#include <noisegraph/node.hpp>
#include <noisegraph/train/train.hpp>

#include <string>
#include <vector>

namespace ng::train_nodes {

void register_autoencoder_node(Registrar& r);  // train.autoencoder
void register_diffusion_nodes(Registrar& r);   // train.diffusion, train.flow
void register_classifier_node(Registrar& r);   // train.classifier

/// Adds the parameters every train node shares (output, run folder, steps, batch, lr, ...).
void add_common_params(NodeSpec& spec, const std::string& default_output, int64_t steps, int64_t batch, double lr);
/// Reads them back; relative output/run paths resolve against the graph's folder.
void read_common_params(const NodeCall& call, train::CommonConfig& c);
/// "64,128" -> {64, 128}; throws ng::Error naming the parameter.
std::vector<int64_t> parse_ints(const std::string& text, const std::string& param);
/// Sets the outputs of a finished run and logs its metrics.
void publish(NodeCall& call, const train::TrainResult& r);

}  // namespace ng::train_nodes
