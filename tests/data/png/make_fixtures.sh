#!/bin/sh
# Regenerates the PNG fixtures of tests/io and their expected pixels with ImageMagick 6
# (convert), an encoder and decoder independent of NoiseGraph's libpng codec. Run it in
# this folder. Outputs: <name>.png and <name>.rgba (what ImageMagick decodes: 16-bit
# big-endian R,G,B,A per pixel, row by row; grey files have R = G = B, opaque pixels
# A = 65535).
set -e
M="-strip -define png:exclude-chunks=date,time"
convert -seed 7 -size 7x5 plasma:fractal -depth 16 src.miff
convert src.miff -colorspace Gray $M -depth 8 -define png:color-type=0 grey8.png
convert src.miff -colorspace Gray $M -depth 16 -define png:color-type=0 grey16.png
convert src.miff -colorspace Gray $M -depth 16 -define png:color-type=0 -interlace PNG grey16_adam7.png
for d in 1 2 4; do
  convert src.miff -colorspace Gray $M -depth $d -define png:color-type=0 -define png:bit-depth=$d grey$d.png
done
convert src.miff $M -depth 8 -define png:color-type=2 rgb8.png
convert src.miff $M -depth 16 -define png:color-type=2 rgb16.png
convert src.miff $M -depth 8 -define png:color-type=2 -interlace PNG rgb8_adam7.png
convert src.miff -alpha set -channel A -fx "(i+j)/10" +channel $M -depth 8 -define png:color-type=6 rgba8.png
convert src.miff -alpha set -channel A -fx "(i+j)/10" +channel $M -depth 16 -define png:color-type=6 rgba16.png
convert src.miff -colorspace Gray -alpha set -channel A -fx "(i*j)/24" +channel $M -depth 8 \
  -define png:color-type=4 greyalpha8.png
# Palettes: 13 colours, one column transparent and one row half transparent (PLTE + tRNS,
# 4-bit; 8-bit interlaced), and 4 opaque colours at 2 bits.
A='(i==2)?0:(1-0.5*(j==1))'
convert src.miff -alpha set -channel A -fx "$A" +channel -colors 13 -type PaletteAlpha $M palette4_trns.png
convert src.miff -alpha set -channel A -fx "$A" +channel -colors 13 -type PaletteAlpha $M \
  -define png:bit-depth=8 -interlace PNG palette8_trns_adam7.png
convert src.miff -colors 4 $M -depth 2 -define png:bit-depth=2 PNG8:palette2.png
# Grey with a tRNS key: pixels of the top-left pixel's value are transparent.
convert src.miff -colorspace Gray -depth 8 $M grey_tmp.png
convert grey_tmp.png -transparent "$(convert grey_tmp.png -format '%[pixel:p{0,0}]' info:)" $M \
  -define png:color-type=0 -depth 8 grey8_key.png
rm grey_tmp.png
# Text chunks (tEXt): a short title and a two-line comment.
convert src.miff -colorspace Gray -depth 8 -define png:color-type=0 \
  -define png:exclude-chunks=date,time,gAMA,cHRM,bKGD -set Title "short title" \
  -set comment "a comment of two lines
the second line" text.png
# A CMYK JPEG (ImageMagick writes it Adobe-style, inverted) of flat red, for image.load.
convert -size 8x8 xc:red -colorspace CMYK -quality 95 cmyk_red.jpg
for f in *.png; do convert "$f" -depth 16 -endian MSB "rgba:${f%.png}.rgba"; done
rm src.miff
