// edit.multidiffusion: wrap a MODEL so it denoises canvases larger than its training size.
#include <cmath>

#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "multidiffusion.hpp"
#include "nodes.hpp"

namespace ng::edit {

void register_multidiffusion_node(Registrar& r) {
  NodeSpec spec("edit.multidiffusion", {1, 0});
  spec.display("MultiDiffusion (wide canvas)")
      .category("model")
      .describe("Lets a model trained on small images denoise a larger canvas (MultiDiffusion, Bar-Tal et al. "
                "2023): every step, the canvas is cut into overlapping windows of the model's native size, "
                "each window is denoised, and the x0 estimates are averaged per position. Regional prompts "
                "(conditioning.set_area) work as usual: each entry is denoised window by window and used "
                "inside its area. E.g. a 96x32 canvas with three 32x32 areas = three items side by side "
                "(graphs/compose-regions.yaml). See docs/editing.md.")
      .input("model", type::Model)
      .output("model", type::Model)
      .param("tile_width", 0).range(0, 16384).describe("window width in pixels; 0 = the model's native width")
      .param("tile_height", 0).range(0, 16384).describe("window height in pixels; 0 = the model's native height")
      .param("overlap", 0.5).range(0.0, 0.95).step(0.125)
      .describe("fraction of a window shared with its neighbour (0 = side by side; 0.5 = stride of half a window)")
      .enum_param("weight", {"uniform", "feather"}, "uniform")
      .describe("uniform: plain average (the paper); feather: windows count more at their centre")
      .param("max_batch", 64).range(1, 4096).describe("rows per model call (windows x images)");
  spec.run([](NodeCall& call) {
    auto model = call.object<Denoiser>("model");
    const int64_t scale = std::max<int64_t>(model->spatial_scale(), 1);
    auto cells = [&](const char* name) -> int64_t {
      const int64_t px = call.param_int(name);
      if (px % scale)
        throw Error(std::string("edit.multidiffusion: ") + name + " " + std::to_string(px) +
                    " is not a multiple of the model's " + std::to_string(scale) + " pixels per cell");
      return px / scale;
    };
    TileOptions o;
    o.tile_w = cells("tile_width");
    o.tile_h = cells("tile_height");
    o.weight = parse_window_weight(call.param_string("weight"));
    o.max_batch = call.param_int("max_batch");
    const auto shape = model->sample_shape();
    if ((o.tile_w == 0 || o.tile_h == 0) && shape.size() != 3)
      throw Error("edit.multidiffusion: the model does not report its native size; set tile_width and tile_height");
    if (o.tile_w == 0) o.tile_w = shape[2];
    if (o.tile_h == 0) o.tile_h = shape[1];
    const double overlap = call.param_float("overlap");
    auto stride = [overlap](int64_t tile) { return std::max<int64_t>(1, tile - int64_t(std::llround(overlap * double(tile)))); };
    o.stride_w = stride(o.tile_w);
    o.stride_h = stride(o.tile_h);
    auto wrapped = std::make_shared<MultiDiffusionDenoiser>(model, o);
    call.context().log(LogLevel::Info, wrapped->describe());
    call.set("model", wrapped);
  });
  r.add(std::move(spec));
}

}  // namespace ng::edit
