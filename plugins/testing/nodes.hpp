#pragma once
// Registration functions of the testing plugin, one per source file.
#include <noisegraph/registrar.hpp>

void register_scalar_nodes(ng::Registrar& r);   // testing.constant, testing.add, testing.params
void register_failing_nodes(ng::Registrar& r);  // testing.fail, testing.slow
void register_sink_nodes(ng::Registrar& r);     // testing.sink, testing.count
void register_image_nodes(ng::Registrar& r);    // testing.image, testing.image_mean
void register_file_nodes(ng::Registrar& r);     // testing.file_size
