#!/bin/sh
# The illusion table of bench/illusions/README.md: every row, one thread, pixel DDPM unless
# marked latent. Usage: bench/illusions/measure.sh [OUT_DIR]   (from the repository root,
# after building bench_illusions). Prints one line per pair; grids go to OUT_DIR.
set -e
out=${1:-bench/illusions}
b=build/bin/bench_illusions
px="--pixel --model models/fmnist-pixel-ddpm.safetensors --threads 1"
lat="--model models/fmnist-latent-unet.safetensors --vae models/fmnist-vae.safetensors --threads 1"
# Upside down: four pairs at the default setting (DPM++ 2M SDE, Karras, 20 steps, CFG 3).
$b $px --kind views --view flip_v --pairs 1:3,0:8,9:8,3:2 --n 200 --chance-n 100 --grid $out/flip.png
# Steps and guidance scale: both pairs at 10 steps, the harder pair (T-shirt / bag) at 50
# steps and at CFG 1.5 and 6.
$b $px --kind views --view flip_v --pairs 1:3,0:8 --n 200 --chance-n 100 --steps 10
$b $px --kind views --view flip_v --pairs 0:8 --n 200 --chance-n 100 --steps 50
$b $px --kind views --view flip_v --pairs 0:8 --n 200 --chance-n 100 --cfg 1.5
$b $px --kind views --view flip_v --pairs 0:8 --n 200 --chance-n 100 --cfg 6
# Quarter turn, jigsaw (8x8 and 4x4 tiles), hybrid (low / high frequency).
$b $px --kind views --view rot90 --pairs 3:7,9:0 --n 200 --chance-n 100 --grid $out/rotate.png
$b $px --kind views --view patch_permute --patch 8 --pairs 7:9 --n 200 --chance-n 100 --grid $out/jigsaw.png
$b $px --kind views --view patch_permute --patch 4 --pairs 7:9,0:2 --n 200 --chance-n 100 --grid $out/jigsaw-4px.png
$b $px --kind factorized --pairs 8:1,3:1,9:7 --n 200 --chance-n 100 --grid $out/hybrid.png
# Latent space (the paper's caveat): the same upside-down pairs with the latent U-Net.
$b $lat --kind views --view flip_v --pairs 1:3,0:8 --n 200 --chance-n 100 --grid $out/flip-latent.png
echo done
