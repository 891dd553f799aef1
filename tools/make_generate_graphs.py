#!/usr/bin/env python3
"""Writes graphs/generate*.yaml: a grid of all ten Fashion-MNIST classes (one row per
class, `per_class` seeds per row) from each shipped generator. The graphs are plain YAML;
this script only saves typing ten near-identical branches."""
import os

PROMPTS = ["a t-shirt", "trousers", "a pullover", "a dress", "a coat",
           "a sandal", "a shirt", "a sneaker", "a bag", "an ankle boot"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def graph(title, model, sampler, scheduler, steps, cfg, prompt, prefix, per_class=4, pixel=False):
    out = [f"# {title}", "# Run: noisegraph run graphs/" + prefix + ".yaml  (writes " + prefix +
           "_NNNNN.png in the output folder)", "noisegraph: 1", "nodes:"]
    out += ["  model:", "    type: unet.load", f"    params: {{path: ../models/{model}}}"]
    if pixel:
        out += ["  autoencoder:", "    type: autoencoder.pixel", "    params: {channels: 1}"]
    else:
        out += ["  autoencoder:", "    type: autoencoder.load", "    params: {path: ../models/fmnist-vae.safetensors}",
                "  encoder:", "    type: prompt.load", f"    params: {{path: ../models/{model}}}"]
    out += ["  latent:", "    type: sample.empty_latent", "    inputs: {model: model.model}",
            f"    params: {{batch: {per_class}}}"]
    for c in range(10):
        if prompt:
            out += [f"  cond{c}:", "    type: prompt.encode", "    inputs: {encoder: encoder.encoder}",
                    f"    params: {{text: \"{PROMPTS[c]}\"}}"]
        else:
            out += [f"  cond{c}:", "    type: conditioning.class", "    inputs: {model: model.model}",
                    f"    params: {{class_id: {c}}}"]
        out += [f"  sample{c}:", "    type: sample.ksampler",
                f"    inputs: {{model: model.model, positive: cond{c}.conditioning, latent: latent.latent}}",
                f"    params: {{seed: {100 * c}, steps: {steps}, cfg: {cfg}, sampler: {sampler}, scheduler: {scheduler}}}",
                f"  image{c}:", "    type: autoencoder.decode",
                f"    inputs: {{autoencoder: autoencoder.autoencoder, latent: sample{c}.latent}}"]
    prev = "image0.image"
    for c in range(1, 10):
        out += [f"  rows{c}:", "    type: image.batch", f"    inputs: {{a: {prev}, b: image{c}.image}}"]
        prev = f"rows{c}.image"
    out += ["  grid:", "    type: image.grid", f"    inputs: {{image: {prev}}}",
            f"    params: {{columns: {per_class}, padding: 2, background: 1.0}}",
            "  save:", "    type: image.save", "    inputs: {image: grid.image}",
            f"    params: {{filename_prefix: {prefix}}}"]
    with open(os.path.join(ROOT, "graphs", prefix + ".yaml"), "w") as f:
        f.write("\n".join(out) + "\n")


graph("All ten classes from the prompt-conditioned latent U-Net (DPM++ 2M, 20 steps, CFG 3); one row per class.",
      "fmnist-latent-unet.safetensors", "dpmpp_2m", "karras", 20, 3.0, True, "generate")
graph("All ten classes from the latent rectified-flow model (Euler, 8 steps, CFG 3); one row per class.",
      "fmnist-latent-flow.safetensors", "euler", "flow", 8, 3.0, True, "generate-flow")
graph("All ten classes from the class-conditional pixel-space DDPM (DPM++ 2M, 20 steps, CFG 3); one row per class.",
      "fmnist-pixel-ddpm.safetensors", "dpmpp_2m", "karras", 20, 3.0, False, "generate-pixel", pixel=True)
