#pragma once
// Registration functions of the edit plugin's node families (one .cpp each).
namespace ng {
class Registrar;
}

namespace ng::edit {

void register_noise_mask_node(Registrar& r);      // edit.set_noise_mask
void register_latent_composite_node(Registrar& r);  // edit.latent_composite
void register_repaint_node(Registrar& r);         // edit.repaint
void register_multidiffusion_node(Registrar& r);  // edit.multidiffusion

}  // namespace ng::edit
