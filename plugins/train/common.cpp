// Parameters and outputs shared by the train.* nodes.
#include <noisegraph/error.hpp>
#include <noisegraph/registrar.hpp>

#include <sstream>

#include "nodes.hpp"

namespace ng::train_nodes {

void add_common_params(NodeSpec& spec, const std::string& default_output, int64_t steps, int64_t batch, double lr) {
  spec.output_node()
      .output("file", type::String)
      .describe("the written model file")
      .output("loss", type::Float)
      .describe("mean training loss of the last log window")
      .path_param("output", default_output)
      .describe("final weights (.safetensors, written atomically); relative to the graph's folder")
      .path_param("run_dir", "")
      .describe("checkpoint, loss.csv and sample grids; empty = runs/<output name> in the output folder. "
                "A run finding a checkpoint here resumes from it")
      .param("steps", steps)
      .range(1, 10000000)
      .describe("total optimiser steps (a finished run can be extended by raising it)")
      .param("batch_size", batch)
      .range(1, 4096)
      .param("lr", lr)
      .range(1e-7, 1.0)
      .describe("AdamW learning rate after warmup")
      .param("warmup_steps", 100)
      .range(0, 1000000)
      .param("cosine_decay", false)
      .describe("lr decays along a half cosine to 0 at the last step (after warmup)")
      .param("ema_decay", 0.999)
      .range(0.0, 0.99999)
      .describe("EMA of the weights (0 = off); the EMA weights are written")
      .seed_param("seed", 1)
      .param("checkpoint_every", 250)
      .range(1, 1000000)
      .param("sample_every", 500)
      .range(0, 1000000)
      .describe("sample grid PNG every N steps (0 = never)")
      .path_param("data_folder", "")
      .describe("train on the PNGs of this folder (<label>/*.png, labels 0..9, 28x28; held-out metrics "
                "from its test/ subfolder if present) instead of Fashion-MNIST; empty = Fashion-MNIST")
      .param("limit_examples", 0)
      .range(0, 60000)
      .describe("use only the first N training images (0 = all 60000)")
      .param("fp16", true)
      .describe("store the final weights as float16");
}

void read_common_params(const NodeCall& call, train::CommonConfig& c) {
  auto& ctx = const_cast<NodeCall&>(call).context();
  auto rel = [&](const std::filesystem::path& p, const std::filesystem::path& base) {
    return p.is_absolute() ? p : base / p;
  };
  const std::string out = call.param_string("output");
  if (out.empty()) throw Error("parameter 'output' is empty: name the model file to write");
  c.output = rel(out, ctx.graph_dir());
  const std::string run = call.param_string("run_dir");
  c.run_dir = run.empty() ? ctx.output_dir() / "runs" / c.output.stem() : rel(run, ctx.graph_dir());
  c.steps = call.param_int("steps");
  c.batch_size = call.param_int("batch_size");
  c.lr = call.param_float("lr");
  c.warmup_steps = call.param_int("warmup_steps");
  c.cosine_decay = call.param_bool("cosine_decay");
  c.ema_decay = call.param_float("ema_decay");
  c.seed = call.param_seed("seed");
  c.checkpoint_every = call.param_int("checkpoint_every");
  c.sample_every = call.param_int("sample_every");
  c.limit_examples = call.param_int("limit_examples");
  if (!call.param_string("data_folder").empty()) c.data_folder = call.param_path("data_folder");
  c.fp16_output = call.param_bool("fp16");
  c.provenance = "node " + call.spec().id() + " '" + call.node_id() + "'";
}

std::vector<int64_t> parse_ints(const std::string& text, const std::string& param) {
  std::vector<int64_t> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t used = 0;
    try {
      out.push_back(std::stoll(item, &used));
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0) throw Error("parameter '" + param + "': expected comma-separated integers like \"64,128\", got \"" + text + "\"");
  }
  return out;
}

void publish(NodeCall& call, const train::TrainResult& r) {
  std::ostringstream msg;
  msg << "wrote " << r.output.string() << " after " << r.steps << " steps, loss " << r.final_loss;
  for (const auto& [k, v] : r.metrics) msg << ", " << k << " " << v;
  call.context().log(LogLevel::Info, msg.str());
  call.context().report_file(r.output);
  call.set("file", r.output.string());
  call.set("loss", r.final_loss);
}

}  // namespace ng::train_nodes
