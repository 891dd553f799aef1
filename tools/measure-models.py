#!/usr/bin/env python3
"""Measures every shipped Fashion-MNIST model against the real-data floor, in one run.

    tools/measure-models.py [--per-class 100] [--threads 1] [--jobs 1] [--out bench/models] [--only NAME]

Runs build/bin/ng-eval for the autoencoder's reconstructions and for each generator at
CFG 1 and at its recommended CFG, all at the same sample count (10 x per-class images, the
same seeds), and writes OUT/measurements.json and OUT/measurements.md: recognised share
(overall, per class, worst class), the Frechet distance of the evaluation classifier's
features to the 10,000 test images, the floor (that distance for the same number of real
training images, per_class of each class) and the ratio of the two, and sampling + decoding
seconds per image on this machine. --jobs N runs N ng-eval processes at once (the costly
rows first); the seconds are then those of a machine running N of them. Run from the
repository root after building ng-eval.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile

CLASSES = ["T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]

# name, ng-eval arguments, the CFG scales to measure (1 and the recommended one)
GENERATORS = [
    ("latent U-Net (DPM++ 2M, Karras, 20 steps)",
     ["--model", "models/fmnist-latent-unet.safetensors", "--vae", "models/fmnist-vae.safetensors"], [1, 3]),
    ("latent U-Net v on fmnist-vae-perceptual-ft (DPM++ 2M SDE, Karras, 20 steps)",
     ["--model", "models/fmnist-latent-unet-v.safetensors", "--vae", "models/fmnist-vae-perceptual-ft.safetensors",
      "--sampler", "dpmpp_2m_sde"], [1, 3]),
    ("latent flow (Euler, 8 steps)",
     ["--model", "models/fmnist-latent-flow.safetensors", "--vae", "models/fmnist-vae.safetensors"], [1, 3]),
    ("latent flow, logit-normal times, on fmnist-vae-perceptual-ft (Euler, 8 steps)",
     ["--model", "models/fmnist-latent-flow-ln.safetensors", "--vae", "models/fmnist-vae-perceptual-ft.safetensors"],
     [1, 3]),
    ("latent flow, logit-normal times, on fmnist-vae-perceptual-ft (Euler, 20 steps)",
     ["--model", "models/fmnist-latent-flow-ln.safetensors", "--vae", "models/fmnist-vae-perceptual-ft.safetensors",
      "--steps", "20"], [1]),
    ("latent flow, logit-normal times, on fmnist-vae-perceptual-ft (DPM++ 2M SDE, 20 steps)",
     ["--model", "models/fmnist-latent-flow-ln.safetensors", "--vae", "models/fmnist-vae-perceptual-ft.safetensors",
      "--sampler", "dpmpp_2m_sde", "--steps", "20"], [1]),
    # the 8x8x8 latent of fmnist-vae8-perceptual: the models of the shipped latent graphs
    ("latent U-Net v, 8-channel latent, on fmnist-vae8-perceptual-ft (DPM++ 2M SDE, Karras, 20 steps)",
     ["--model", "models/fmnist-latent8-unet-v.safetensors", "--vae", "models/fmnist-vae8-perceptual-ft.safetensors",
      "--sampler", "dpmpp_2m_sde"], [1, 3]),
    ("latent flow, logit-normal times, 8-channel latent, on fmnist-vae8-perceptual-ft (Euler, 8 steps)",
     ["--model", "models/fmnist-latent8-flow-ln.safetensors", "--vae", "models/fmnist-vae8-perceptual-ft.safetensors"],
     [1, 3]),
    ("latent flow, logit-normal times, 8-channel latent, on fmnist-vae8-perceptual-ft (DPM++ 2M SDE, 20 steps)",
     ["--model", "models/fmnist-latent8-flow-ln.safetensors", "--vae", "models/fmnist-vae8-perceptual-ft.safetensors",
      "--sampler", "dpmpp_2m_sde", "--steps", "20"], [1]),
    # the 4-channel latent models decoded by the adversarially fine-tuned decoder
    ("latent U-Net v on fmnist-vae-gan-ft (DPM++ 2M SDE, Karras, 20 steps)",
     ["--model", "models/fmnist-latent-unet-v.safetensors", "--vae", "models/fmnist-vae-gan-ft.safetensors",
      "--sampler", "dpmpp_2m_sde"], [1]),
    ("latent flow, logit-normal times, on fmnist-vae-gan-ft (DPM++ 2M SDE, 20 steps)",
     ["--model", "models/fmnist-latent-flow-ln.safetensors", "--vae", "models/fmnist-vae-gan-ft.safetensors",
      "--sampler", "dpmpp_2m_sde", "--steps", "20"], [1]),
    ("pixel DDPM (DPM++ 2M SDE, Karras, 20 steps)",
     ["--model", "models/fmnist-pixel-ddpm.safetensors", "--pixel", "--sampler", "dpmpp_2m_sde"], [1, 3]),
    ("pixel DDPM, learned variance (ancestral, 25 steps)",
     ["--model", "models/fmnist-pixel-ddpm-lv.safetensors", "--pixel", "--sampler", "ddpm", "--scheduler", "linspace",
      "--steps", "25", "--variance", "learned", "--clip-x0", "1"], [1, 3]),
]


def ng_eval(args, common):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        cmd = ["build/bin/ng-eval"] + args + common + ["--json", out]
        print("+", " ".join(cmd), file=sys.stderr, flush=True)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out) as f:
            return json.load(f)


def row(name, setting, r):
    per = r["accuracy_per_class"]
    worst = min(range(10), key=lambda c: per[c])
    return {"model": name, "setting": setting, "images": r["images"], "recognised": r["accuracy"],
            "per_class": per, "worst_class": CLASSES[worst], "worst_share": per[worst],
            "classes_at_90": sum(1 for p in per if p >= 0.9), "frechet": r["frechet_distance_vs_test"],
            "floor": r["frechet_floor_real_train_vs_test"],
            "ratio": r["frechet_distance_vs_test"] / r["frechet_floor_real_train_vs_test"],
            "seconds_per_image": r["seconds"] / r["images"], "raw": r}


def markdown(rows, per_class, threads):
    n = rows[0]["images"]
    lines = [f"{n} images per row ({per_class} per class, seed 1), {threads} thread(s); Frechet distance of the "
             "evaluation classifier's 64-d features to the 10,000 test images; floor = the same distance for "
             f"{n} real training images; recognised = classified as the requested class.", "",
             "| model | setting | recognised | worst class | classes >= 90 % | Frechet | floor | x floor | s / image |",
             "|---|---|---|---|---|---|---|---|---|"]
    for x in rows:
        lines.append(f"| {x['model']} | {x['setting']} | {100 * x['recognised']:.1f} % | {x['worst_class']} "
                     f"{100 * x['worst_share']:.0f} % | {x['classes_at_90']} / 10 | {x['frechet']:.3f} | "
                     f"{x['floor']:.3f} | **{x['ratio']:.2f}** | {x['seconds_per_image']:.4f} |")
    lines += ["", "Recognised share per class:", "",
              "| model | setting | " + " | ".join(CLASSES) + " |", "|---|---|" + "---|" * 10]
    for x in rows:
        lines.append(f"| {x['model']} | {x['setting']} | " + " | ".join(f"{100 * p:.0f}" for p in x["per_class"]) + " |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-class", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads of each ng-eval process")
    ap.add_argument("--jobs", type=int, default=1, help="ng-eval processes run at once")
    ap.add_argument("--out", default="bench/models")
    ap.add_argument("--vae", action="append", help="autoencoder whose reconstructions are scored (repeatable; "
                    "default: every shipped one)")
    ap.add_argument("--only", default="", help="measure only the rows whose name contains one of these "
                    "comma-separated texts (an autoencoder row's name is 'autoencoder FILE')")
    a = ap.parse_args()
    common = ["--per-class", str(a.per_class), "--threads", str(a.threads), "--seed", "1"]
    vaes = a.vae or [f for f in ("models/fmnist-vae.safetensors", "models/fmnist-vae-perceptual.safetensors",
                                 "models/fmnist-vae-perceptual-ft.safetensors", "models/fmnist-vae-gan-ft.safetensors",
                                 "models/fmnist-vae8-perceptual.safetensors", "models/fmnist-vae8-perceptual-ft.safetensors")
                                 if os.path.exists(f)]
    wanted = [t for t in a.only.split(",") if t]

    def selected(name):
        return not wanted or any(t in name for t in wanted)

    # (row name, ng-eval arguments, setting or None for a reconstruction row), in table order
    tasks = [("autoencoder " + os.path.basename(vae), ["--reconstruct", vae], None) for vae in vaes
             if selected("autoencoder " + os.path.basename(vae))]
    for name, args, scales in GENERATORS:
        files = [args[i + 1] for i, x in enumerate(args) if x in ("--model", "--vae")]
        if not selected(name) or not all(os.path.exists(f) for f in files):
            continue
        tasks += [(name, args + ["--cfg", str(cfg)], f"CFG {cfg}") for cfg in scales]
    # the pixel rows take most of the time: start them first so N jobs finish together
    order = sorted(range(len(tasks)), key=lambda i: "--pixel" not in tasks[i][1])
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        futures = {i: pool.submit(ng_eval, tasks[i][1], common) for i in order}
        results = [futures[i].result() for i in range(len(tasks))]
    rows = []
    for (name, _, setting), r in zip(tasks, results):
        if setting is None:
            setting = (f"reconstructions (PSNR {r['psnr_db']:.2f} dB; real images recognised "
                       f"{100 * r['accuracy_real']:.1f} %)")
        rows.append(row(name, setting, r))
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "measurements.json"), "w") as f:
        json.dump([{k: v for k, v in x.items()} for x in rows], f, indent=1)
    text = markdown(rows, a.per_class, a.threads)
    with open(os.path.join(a.out, "measurements.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
