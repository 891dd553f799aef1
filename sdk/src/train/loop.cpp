// Shared training machinery: AdamW, EMA, seeded batches, checkpoints, loss log, progress.
#include "loop.hpp"

#include <cmath>
#include <ctime>
#include <sstream>

#include "noisegraph/error.hpp"
#include "noisegraph/io/json.hpp"
#include "noisegraph/io/atomic_write.hpp"
#include "noisegraph/io/safetensors.hpp"

namespace ng::train::detail {

AdamW::AdamW(std::vector<std::pair<std::string, at::Tensor>> named, double weight_decay)
    : params(std::move(named)), wd(weight_decay) {
  for (auto& [name, p] : params) {
    m.push_back(torch::zeros_like(p));
    v.push_back(torch::zeros_like(p));
  }
}

void AdamW::zero_grad() {
  for (auto& [name, p] : params)
    if (p.grad().defined()) p.mutable_grad().zero_();
}

void AdamW::step(double lr) {
  torch::NoGradGuard g;
  ++t;
  const double c1 = 1.0 - std::pow(b1, double(t)), c2 = 1.0 - std::pow(b2, double(t));
  for (size_t i = 0; i < params.size(); ++i) {
    auto& p = params[i].second;
    if (!p.grad().defined()) continue;
    const auto& g = p.grad();
    m[i].mul_(b1).add_(g, 1.0 - b1);
    v[i].mul_(b2).addcmul_(g, g, 1.0 - b2);
    if (wd > 0) p.mul_(1.0 - lr * wd);
    auto denom = (v[i] / c2).sqrt_().add_(eps);
    p.addcdiv_(m[i], denom, -lr / c1);
  }
}

Ema::Ema(const std::vector<std::pair<std::string, at::Tensor>>& params, double d) : decay(d) {
  for (const auto& [name, p] : params) shadow.push_back(p.detach().clone());
}

void Ema::update(const std::vector<std::pair<std::string, at::Tensor>>& params, int64_t step) {
  torch::NoGradGuard g;
  const double d = std::min(decay, (1.0 + double(step)) / (10.0 + double(step)));
  for (size_t i = 0; i < params.size(); ++i) shadow[i].mul_(d).add_(params[i].second.detach(), 1.0 - d);
}

void Ema::swap_into(const std::vector<std::pair<std::string, at::Tensor>>& params) {
  torch::NoGradGuard g;
  for (size_t i = 0; i < params.size(); ++i) {
    auto tmp = params[i].second.detach().clone();
    params[i].second.detach().copy_(shadow[i]);
    shadow[i].copy_(tmp);
  }
}

at::Generator step_generator(uint64_t seed, int64_t step, int64_t stream) {
  // splitmix64-style mixing so nearby (seed, step, stream) give unrelated streams
  uint64_t z = seed * 0x9E3779B97F4A7C15ull + uint64_t(step) * 0xBF58476D1CE4E5B9ull + uint64_t(stream) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  z *= 0xBF58476D1CE4E5B9ull;
  z ^= z >> 29;
  return Context::make_generator(z);
}

at::Tensor batch_indices(int64_t n, int64_t batch, uint64_t seed, int64_t step) {
  if (n <= 0) throw Error("training set is empty");
  std::vector<at::Tensor> parts;
  int64_t first = step * batch;
  int64_t need = batch;
  static thread_local std::pair<std::pair<uint64_t, int64_t>, at::Tensor> cache{{~uint64_t(0), int64_t(-1)}, {}};
  while (need > 0) {
    const int64_t epoch = first / n, offset = first % n;
    const std::pair<uint64_t, int64_t> key{seed ^ (uint64_t(n) * 0x100000001B3ull), epoch};
    if (cache.first != key) {
      auto gen = step_generator(seed, epoch, 7);
      cache = {key, at::randperm(n, gen, at::TensorOptions().dtype(at::kLong))};
    }
    const int64_t take = std::min(need, n - offset);
    parts.push_back(cache.second.narrow(0, offset, take));
    first += take;
    need -= take;
  }
  return parts.size() == 1 ? parts[0].clone() : at::cat(parts);
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::vector<std::pair<std::string, at::Tensor>> named_params(const torch::nn::Module& m) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& p : m.named_parameters(true)) out.emplace_back(p.key(), p.value());
  return out;
}

Run::Run(const CommonConfig& cfg, Context& ctx, std::string kind, std::string config_json)
    : cfg_(cfg), ctx_(ctx), kind_(std::move(kind)), config_json_(std::move(config_json)),
      start_(std::chrono::steady_clock::now()) {
  if (cfg.run_dir.empty()) throw Error("training needs a run folder (run_dir)");
  if (cfg.output.empty()) throw Error("training needs an output file");
  if (cfg.steps < 1 || cfg.batch_size < 1) throw Error("steps and batch_size must be >= 1");
  std::filesystem::create_directories(cfg.run_dir);
}

double Run::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double Run::lr_at(int64_t step) const {
  if (cfg_.warmup_steps > 0 && step < cfg_.warmup_steps) return cfg_.lr * double(step + 1) / double(cfg_.warmup_steps);
  if (!cfg_.cosine_decay) return cfg_.lr;
  const double span = double(std::max<int64_t>(1, cfg_.steps - cfg_.warmup_steps));
  const double progress = std::min(1.0, double(step - cfg_.warmup_steps) / span);
  return cfg_.lr * 0.5 * (1.0 + std::cos(M_PI * progress));
}

bool Run::sample_due(int64_t step) const {
  return cfg_.sample_every > 0 && ((step + 1) % cfg_.sample_every == 0 || step + 1 == cfg_.steps);
}

namespace {
// Compares the values, not the text: checkpoints written before a change of the JSON
// number format (e.g. 0.00010000000000000000 vs 0.0001) still resume.
bool same_config(const std::string& stored, const std::string& current) {
  if (stored == current) return true;
  try {
    return json::dump(json::parse(stored)) == json::dump(json::parse(current));
  } catch (const std::exception&) {
    return false;
  }
}
}  // namespace

int64_t Run::resume(AdamW& opt, Ema* ema) {
  const auto path = file("checkpoint.safetensors");
  if (!std::filesystem::exists(path)) {
    std::ofstream(file("loss.csv")) << "step,loss,lr,seconds\n";
    return 0;
  }
  auto ck = io::load_safetensors(path);
  if (ck.meta_or("run.kind", "") != kind_ || !same_config(ck.meta_or("run.config", ""), config_json_))
    throw Error(path.string() + ": checkpoint belongs to a different training config; delete the run folder " +
                cfg_.run_dir.string() + " or choose another one");
  torch::NoGradGuard g;
  for (size_t i = 0; i < opt.params.size(); ++i) {
    const auto& name = opt.params[i].first;
    opt.params[i].second.detach().copy_(ck.get("model." + name));
    opt.m[i].copy_(ck.get("adam_m." + name));
    opt.v[i].copy_(ck.get("adam_v." + name));
    if (ema) ema->shadow[i].copy_(ck.get("ema." + name));
  }
  opt.t = std::stoll(ck.meta("run.adam_t"));
  const int64_t step = std::stoll(ck.meta("run.step"));
  // keep the loss log consistent with the checkpoint: drop lines written after it
  std::ifstream in(file("loss.csv"));
  std::string line, kept = "step,loss,lr,seconds\n";
  std::getline(in, line);
  while (std::getline(in, line))
    if (!line.empty() && std::stoll(line.substr(0, line.find(','))) <= step) {
      kept += line + "\n";
      recent_loss_ = std::stod(line.substr(line.find(',') + 1));  // reported if no step runs
    }
  io::write_file_atomic(file("loss.csv"), kept);
  first_step_ = step;
  ctx_.log(LogLevel::Info, "resuming " + kind_ + " training from step " + std::to_string(step));
  return step;
}

void Run::save_checkpoint(int64_t step, AdamW& opt, Ema* ema) {
  std::map<std::string, at::Tensor> t;
  for (size_t i = 0; i < opt.params.size(); ++i) {
    const auto& name = opt.params[i].first;
    t["model." + name] = opt.params[i].second.detach();
    t["adam_m." + name] = opt.m[i];
    t["adam_v." + name] = opt.v[i];
    if (ema) t["ema." + name] = ema->shadow[i];
  }
  std::map<std::string, std::string> meta = {{"noisegraph.kind", "checkpoint"},
                                             {"run.kind", kind_},
                                             {"run.config", config_json_},
                                             {"run.step", std::to_string(step)},
                                             {"run.adam_t", std::to_string(opt.t)}};
  io::save_safetensors(file("checkpoint.safetensors"), t, meta);
}

void Run::end_step(int64_t step, double loss, double lr, AdamW& opt, Ema* ema) {
  if (!std::isfinite(loss))
    throw Error(kind_ + " training diverged at step " + std::to_string(step) + " (loss is not finite); lower lr");
  window_sum_ += loss;
  ++window_n_;
  const int64_t done = step + 1;
  if (done % std::max<int64_t>(1, cfg_.log_every) == 0 || done == cfg_.steps) {
    recent_loss_ = window_sum_ / double(window_n_);
    window_sum_ = 0;
    window_n_ = 0;
    const double secs = seconds();
    std::ofstream(file("loss.csv"), std::ios::app) << done << ',' << recent_loss_ << ',' << lr << ',' << secs << '\n';
    const double per_step = secs / double(std::max<int64_t>(1, done - first_step_));
    const auto eta = int64_t(per_step * double(cfg_.steps - done));
    std::ostringstream msg;
    msg << kind_ << " step " << done << "/" << cfg_.steps << " loss " << recent_loss_ << " (" << per_step
        << " s/step, ETA " << eta / 60 << "m" << eta % 60 << "s)";
    ctx_.report_progress(double(done) / double(cfg_.steps), msg.str());
  }
  // also at the end, so a finished run can be extended by asking for more steps
  if (done % std::max<int64_t>(1, cfg_.checkpoint_every) == 0 || done == cfg_.steps) save_checkpoint(done, opt, ema);
  if (ctx_.is_cancelled()) {
    save_checkpoint(done, opt, ema);
    throw Cancelled();
  }
}

std::string Run::provenance(int64_t steps, const std::string& data) const {
  json::Value p = json::Object{};
  p.set("trained_by", cfg_.provenance.empty() ? std::string("ng::train") : cfg_.provenance);
  p.set("steps", steps);
  p.set("batch_size", cfg_.batch_size);
  p.set("lr", cfg_.lr);
  p.set("seed", int64_t(cfg_.seed));
  p.set("data", data);
  p.set("date", utc_now());
  p.set("wall_seconds_last_session", std::round(seconds()));
  p.set("final_loss", recent_loss_);
  return json::dump(p);
}

}  // namespace ng::train::detail
