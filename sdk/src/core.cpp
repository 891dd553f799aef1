// Out-of-line virtual destructors (so type_info lives in one library) and the defaults of
// Context.
#include <ATen/CPUGeneratorImpl.h>

#include <iostream>

#include "noisegraph/abi.hpp"
#include "noisegraph/context.hpp"
#include "noisegraph/models.hpp"
#include "noisegraph/registrar.hpp"

namespace ng {

Error::~Error() = default;
Cancelled::~Cancelled() = default;
Object::~Object() = default;
ModelSampling::~ModelSampling() = default;
Denoiser::~Denoiser() = default;
Autoencoder::~Autoencoder() = default;
Classifier::~Classifier() = default;
PromptEncoder::~PromptEncoder() = default;
Registrar::~Registrar() = default;
Context::~Context() = default;

PluginInfo host_plugin_info() {
  return PluginInfo{NOISEGRAPH_SDK_ABI, NOISEGRAPH_COMPILER_ID, NOISEGRAPH_TORCH_VERSION, "host"};
}

void Context::report_progress(double, const std::string&) {}
void Context::report_step(int, int, const at::Tensor&) {}
bool Context::is_cancelled() const { return false; }
void Context::log(LogLevel level, const std::string& message) {
  if (level >= LogLevel::Warning) std::cerr << (level == LogLevel::Warning ? "warning: " : "error: ") << message << '\n';
}
c10::Device Context::device() const { return c10::Device(c10::kCPU); }
std::filesystem::path Context::graph_dir() const { return "."; }
std::filesystem::path Context::output_dir() const { return "."; }
std::vector<std::filesystem::path> Context::model_search_path() const { return {}; }
std::string Context::graph_yaml() const { return {}; }
void Context::report_file(const std::filesystem::path& file) { log(LogLevel::Info, "wrote " + file.string()); }

at::Generator Context::make_generator(uint64_t seed) {
  return at::detail::createCPUGenerator(seed);
}

std::filesystem::path Context::resolve(const std::filesystem::path& p) const {
  if (p.empty() || p.is_absolute()) return p;
  auto first = graph_dir() / p;
  if (std::filesystem::exists(first)) return first;
  for (const auto& dir : model_search_path()) {
    auto candidate = dir / p;
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return first;
}

void BasicContext::log(LogLevel level, const std::string& message) {
  static const char* names[] = {"debug", "info", "warning", "error"};
  messages.push_back(std::string(names[int(level)]) + ": " + message);
}

}  // namespace ng
