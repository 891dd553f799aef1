// Parameters and outputs shared by the train.* nodes.
#include <noisegraph/error.hpp>
#include <noisegraph/registrar.hpp>

#include <filesystem>
#include <sstream>

#include "nodes.hpp"

namespace ng::train_nodes {

void add_common_params(NodeSpec& spec, const std::string& default_output, int64_t steps, int64_t batch, double lr) {
  spec.output_node()
      .output("file", type::String)
      .describe("the written model file")
      .output("loss", type::Float)
      .describe("mean training loss of the last log window")
      .write_path_param("output", default_output)
      .describe("final weights (.safetensors, written atomically); relative to the output folder")
      .write_path_param("run_dir", "")
      .folder()
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
      .folder()
      .describe("train on the PNGs of this folder (<label>/*.png, labels 0..9, 28x28; held-out metrics "
                "from its test/ subfolder if present) instead of Fashion-MNIST; empty = Fashion-MNIST")
      .param("limit_examples", 0)
      .range(0, 60000)
      .describe("use only the first N training images (0 = all 60000)")
      .param("fp16", true)
      .describe("store the final weights as float16")
      .param("replace_output", false)
      .describe("replace `output` if it already exists (off: a run that would overwrite a model file is "
                "refused before training starts)");
}

void read_common_params(const NodeCall& call, train::CommonConfig& c) {
  auto& ctx = const_cast<NodeCall&>(call).context();
  // Both are written, so both live in the output folder (the host refused anything else).
  if (call.param_string("output").empty()) throw Error("parameter 'output' is empty: name the model file to write");
  c.output = call.param_path("output");
  // A trained model is hours of work: never replace one by accident (a shipped model,
  // a previous run's result); resuming from run_dir's checkpoint is unaffected.
  std::error_code exists_error;
  if (std::filesystem::exists(c.output, exists_error) && !call.param_bool("replace_output"))
    throw Error("'" + c.output.string() + "' already exists; set replace_output to true to replace it, or "
                "choose another output name or --output-dir");
  c.run_dir = call.param_string("run_dir").empty() ? ctx.output_dir() / "runs" / c.output.stem()
                                                   : call.param_path("run_dir");
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
