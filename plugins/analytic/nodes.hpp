#pragma once
// Registration functions of the analytic plugin (exact models for tests and demos) and the
// model-sampling choice its nodes share.
#include <memory>

#include <noisegraph/models.hpp>
#include <noisegraph/node.hpp>

namespace ng {
class Registrar;
}

namespace ng::analytic {

void register_gaussian_nodes(Registrar& r);   // analytic.gaussian, analytic.gaussian_classes
void register_points_node(Registrar& r);      // analytic.points
void register_classifier_node(Registrar& r);  // analytic.classifier

/// Adds the "schedule" (+ "shift") parameters choosing VP or flow sampling.
void add_sampling_params(NodeSpec& spec);
std::shared_ptr<ModelSampling> sampling_from(const NodeCall& call);

}  // namespace ng::analytic
