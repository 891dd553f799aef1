#pragma once
// Registration functions of the schedule plugin (SIGMAS producers and editors, forward process).
namespace ng {
class Registrar;
}

namespace ng::schedule {

void register_model_schedules(Registrar& r);  // schedule.{basic,karras,exponential,uniform,simple,sgm_uniform,flow}
void register_sigma_edits(Registrar& r);      // schedule.{split,flip,concat}
void register_forward_nodes(Registrar& r);    // schedule.{noise_image,noise_latent,forward_strip}

}  // namespace ng::schedule
