#pragma once
#include <noisegraph/registrar.hpp>

namespace ng::illusion {
/// illusion.views (GUIDER), illusion.factorized (GUIDER), illusion.view (IMAGE).
void register_nodes(Registrar& r);
}  // namespace ng::illusion
