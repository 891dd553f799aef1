#pragma once
// Shared by the SD tests: the sd1-tiny test vector and ways to rewrite its checkpoint.
#include <ATen/ATen.h>

#include <QtCore/QProcess>
#include <QtCore/QString>

#include <filesystem>
#include <map>
#include <string>

#include "noisegraph/io/safetensors.hpp"
#include "noisegraph/sd/checkpoint.hpp"

namespace sdtest {

namespace fs = std::filesystem;
using Tensors = std::map<std::string, at::Tensor>;

inline fs::path tiny_dir() { return fs::path(NG_TEST_DATA_DIR) / "sd1-tiny"; }
inline fs::path tiny_checkpoint() { return tiny_dir() / "checkpoint-fp16.safetensors"; }
inline fs::path vocab() { return fs::path(NG_TEST_SOURCE_DIR) / "models/clip/bpe_simple_vocab_16e6.txt.gz"; }

// Options for sd1-tiny: its head counts (config.json) cannot be read from shapes.
inline ng::sd::CheckpointOptions tiny_options() {
  ng::sd::CheckpointOptions o;
  o.vocab = vocab();
  o.clip_heads = 4;
  o.unet_heads = 8;
  o.vae_tile = 0;
  return o;
}

// Every tensor of a file (floats as float32, integers as int64).
inline Tensors read_all(const fs::path& p) { return ng::io::load_safetensors(p).tensors; }

inline void write_all(const fs::path& p, const Tensors& t, ng::io::DType dtype = ng::io::DType::F32) {
  ng::io::save_safetensors(p, t, {}, dtype);
}

struct CheckRun {
  int code = -1;
  QString out, err;
};

// Runs noisegraph-sd-check on `checkpoint` against the sd1-tiny vectors.
inline CheckRun run_sd_check(const QString& checkpoint, QStringList extra = {}) {
  QProcess p;
  QStringList args{checkpoint, QString::fromStdString((tiny_dir() / "vectors.safetensors").string()), "--vocab",
                   QString::fromStdString(vocab().string())};
  p.start(NG_SD_CHECK_BINARY, args + extra);
  if (!p.waitForFinished(600000)) p.kill();
  p.waitForFinished();
  CheckRun r;
  r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

}  // namespace sdtest
