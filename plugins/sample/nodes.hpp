#pragma once
// Registration functions of the sample plugin, and helpers its nodes share.
#include <noisegraph/diffusion/samplers.hpp>
#include <noisegraph/node.hpp>

namespace ng {
class Registrar;
}

namespace ng::sample {

void register_sampler_node(Registrar& r);  // sample.sampler
void register_noise_nodes(Registrar& r);   // sample.noise, sample.empty_latent
void register_sample_nodes(Registrar& r);  // sample.custom, sample.ksampler

/// Adds the sampler option parameters (eta, s_noise, variance, clip_x0, order) to a spec.
void add_sampler_options(NodeSpec& spec);
diffusion::SamplerOptions sampler_options(const NodeCall& call);

}  // namespace ng::sample
