// Image maths on small inputs whose results can be worked out by hand.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <QtTest>

#include <thread>

#include "image_ops.hpp"
#include "noisegraph/error.hpp"

using namespace ng::image;

namespace {

// [1,1,H,W] from rows of values.
at::Tensor grey(std::vector<std::vector<float>> rows) {
  const int64_t h = int64_t(rows.size()), w = int64_t(rows[0].size());
  auto t = at::empty({1, 1, h, w}, at::kFloat);
  for (int64_t i = 0; i < h; ++i)
    for (int64_t j = 0; j < w; ++j) t[0][0][i][j] = rows[i][j];
  return t;
}

bool close(const at::Tensor& a, const at::Tensor& b, double tol = 1e-6) {
  return a.sizes() == b.sizes() && at::allclose(a, b, 0.0, tol);
}

}  // namespace

class ImageOps : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { at::set_num_threads(int(std::thread::hardware_concurrency())); }

  void resize_target_follows_aspect_ratio_and_multiples() {
    auto s = resize_target(30, 40, 20, 0, 1.0, 1);
    QCOMPARE(s.width, 20);
    QCOMPARE(s.height, 15);
    s = resize_target(30, 40, 0, 0, 0.5, 1);
    QCOMPARE(s.width, 20);
    QCOMPARE(s.height, 15);
    s = resize_target(30, 40, 0, 0, 0.5, 8);  // 15 -> 16, 20 -> 24 (nearest multiple)
    QCOMPARE(s.height, 16);
    QCOMPARE(s.width, 24);
    s = resize_target(30, 40, 7, 9, 3.0, 1);  // explicit size wins over scale
    QCOMPARE(s.width, 7);
    QCOMPARE(s.height, 9);
  }

  void nearest_replicates_and_samples_pixel_centres() {
    auto up = resize(grey({{0.1f, 0.2f}, {0.3f, 0.4f}}), 4, 4, ResizeMode::Nearest);
    QVERIFY(close(up, grey({{.1f, .1f, .2f, .2f}, {.1f, .1f, .2f, .2f}, {.3f, .3f, .4f, .4f}, {.3f, .3f, .4f, .4f}})));
    // Shrinking 4 -> 2: output pixel centres fall at source x = 1.0 and 3.0 -> pixels 1, 3.
    auto down = resize(grey({{0.0f, 0.25f, 0.5f, 0.75f}}), 1, 2, ResizeMode::Nearest);
    QVERIFY(close(down, grey({{0.25f, 0.75f}})));
  }

  void bilinear_uses_half_pixel_centres() {
    // align_corners = false: output x maps to (x + 0.5) / 2 - 0.5, edges clamp.
    auto up = resize(grey({{0.0f, 1.0f}}), 1, 4, ResizeMode::Bilinear);
    QVERIFY(close(up, grey({{0.0f, 0.25f, 0.75f, 1.0f}})));
  }

  void bilinear_and_bicubic_pass_through_samples() {
    // x3 enlargement puts output centres 1, 4, 7 exactly on input centres 0, 1, 2; an
    // interpolating kernel must reproduce the samples there.
    auto in = grey({{0.2f, 0.9f, 0.4f}, {0.6f, 0.1f, 0.8f}, {0.3f, 0.5f, 0.7f}});
    for (auto mode : {ResizeMode::Bilinear, ResizeMode::Bicubic}) {
      auto out = resize(in, 9, 9, mode);
      auto sampled = out.index({at::indexing::Slice(), at::indexing::Slice(),
                                at::indexing::Slice(1, 9, 3), at::indexing::Slice(1, 9, 3)});
      QVERIFY(close(sampled, in, 1e-5));
    }
  }

  void bicubic_is_clamped_to_unit_range() {
    auto step = grey({{0, 0, 0, 1, 1, 1}});  // cubic kernels overshoot at a step
    auto out = resize(step, 1, 24, ResizeMode::Bicubic);
    QCOMPARE(out.min().item<float>(), 0.0f);
    QCOMPARE(out.max().item<float>(), 1.0f);
  }

  void bilinear_shrink_is_antialiased() {
    // Period-4 pattern 1,0,0,0 shrunk 4x. Plain bilinear samples between pixels 1 and 2 of
    // each period (both 0) and loses the pattern; the antialiased triangle filter of
    // support 4 weights the two 1s at offsets -1.5 and +2.5 by 0.625 and 0.375 out of 4 =
    // 0.25, the true average, at every interior pixel.
    std::vector<float> row;
    for (int i = 0; i < 32; ++i) row.push_back(i % 4 == 0 ? 1.0f : 0.0f);
    auto out = resize(grey({row}), 1, 8, ResizeMode::Bilinear);
    auto interior = out.narrow(3, 1, 6);
    QVERIFY(close(interior, at::full_like(interior, 0.25), 1e-6));
  }

  void area_averages_blocks_exactly() {
    auto in = grey({{0, 1, 0.5f, 0.5f}, {1, 0, 0.5f, 0.5f}, {1, 1, 0, 0}, {1, 1, 0, 0.2f}});
    QVERIFY(close(resize(in, 2, 2, ResizeMode::Area), grey({{0.5f, 0.5f}, {1.0f, 0.05f}})));
  }

  void resize_keeps_rgb_and_batch() {
    auto in = at::rand({3, 3, 8, 6});
    auto out = resize(in, 5, 7, ResizeMode::Bicubic);
    QCOMPARE(out.sizes().vec(), (std::vector<int64_t>{3, 3, 5, 7}));
  }

  void crop_cuts_the_rectangle_and_rejects_leaving_it() {
    auto in = grey({{0, 1, 2}, {3, 4, 5}, {6, 7, 8}});
    QVERIFY(close(crop(in, 1, 1, 2, 1), grey({{4, 5}})));
    QVERIFY(close(crop(in, 2, 0, 0, 0), grey({{2}, {5}, {8}})));  // 0 = to the edge
    QVERIFY_THROWS_EXCEPTION(ng::Error, crop(in, 2, 0, 2, 1));
    QVERIFY_THROWS_EXCEPTION(ng::Error, crop(in, 3, 0, 0, 0));
  }

  void pad_fills_borders_and_masks_only_new_area() {
    auto in = grey({{0.1f, 0.2f}, {0.3f, 0.4f}});
    auto out = pad(in, /*left*/ 1, /*top*/ 0, /*right*/ 2, /*bottom*/ 1, 0.25, 0);
    QVERIFY(close(out.image, grey({{.25f, .1f, .2f, .25f, .25f},
                                   {.25f, .3f, .4f, .25f, .25f},
                                   {.25f, .25f, .25f, .25f, .25f}})));
    QVERIFY(close(out.mask, grey({{1, 0, 0, 1, 1}, {1, 0, 0, 1, 1}, {1, 1, 1, 1, 1}})));
  }

  void pad_feather_fades_into_original_near_padded_sides_only() {
    auto in = at::zeros({1, 3, 1, 4});
    auto out = pad(in, 2, 0, 0, 0, 0.0, 2);
    // Columns of the original at distance d = 0..3 from the padded left side:
    // 1 - (d+1)/3 = 2/3, 1/3, 0, 0. No fade at the unpadded right side.
    QVERIFY(close(out.mask, grey({{1, 1, 2.0f / 3, 1.0f / 3, 0, 0}})));
    QCOMPARE(out.image.size(1), 3);
  }

  void composite_with_mask_mixes_inside_the_pasted_rectangle() {
    auto dst = at::zeros({1, 1, 4, 4});
    auto src = at::ones({1, 1, 2, 2});
    auto mask = grey({{1, 0}, {0.5f, 0}});
    auto out = composite(dst, src, 1, 1, mask);
    QVERIFY(close(out, grey({{0, 0, 0, 0}, {0, 1, 0, 0}, {0, 0.5f, 0, 0}, {0, 0, 0, 0}})));
    QVERIFY(close(dst, at::zeros({1, 1, 4, 4})));  // inputs are not modified
  }

  void composite_clips_source_outside_destination() {
    auto dst = at::zeros({1, 1, 3, 3});
    auto src = grey({{1, 2}, {3, 4}});
    QVERIFY(close(composite(dst, src, -1, -1, at::Tensor()), grey({{4, 0, 0}, {0, 0, 0}, {0, 0, 0}})));
    QVERIFY(close(composite(dst, src, 2, 2, at::Tensor()), grey({{0, 0, 0}, {0, 0, 0}, {0, 0, 1}})));
    QVERIFY(close(composite(dst, src, 5, 0, at::Tensor()), dst));
  }

  void composite_resizes_mask_and_promotes_grey_destination() {
    auto dst = at::zeros({1, 1, 2, 2});
    auto src = at::full({1, 3, 2, 2}, 0.5);
    auto out = composite(dst, src, 0, 0, at::ones({1, 1, 5, 5}));
    QCOMPARE(out.size(1), 3);
    QVERIFY(close(out, at::full({1, 3, 2, 2}, 0.5)));
  }

  void blend_mixes_and_broadcasts_batch_of_one() {
    auto a = at::zeros({2, 3, 2, 2});
    auto b = at::ones({1, 1, 2, 2});
    auto out = blend(a, b, 0.25);
    QCOMPARE(out.sizes().vec(), (std::vector<int64_t>{2, 3, 2, 2}));
    QVERIFY(close(out, at::full({2, 3, 2, 2}, 0.25)));
    QVERIFY_THROWS_EXCEPTION(ng::Error, blend(a, at::ones({1, 3, 3, 2}), 0.5));
  }

  void grid_places_tiles_row_by_row_with_padding() {
    // 5 tiles of 2x3 (h x w), auto columns = ceil(sqrt(5)) = 3 -> 2 rows.
    auto imgs = at::empty({5, 1, 2, 3});
    for (int k = 0; k < 5; ++k) imgs[k].fill_((k + 1) / 10.0);
    auto out = grid(imgs, 0, 1, 0.9);
    QCOMPARE(out.sizes().vec(), (std::vector<int64_t>{1, 1, 2 * 2 + 1, 3 * 3 + 2}));
    for (int k = 0; k < 5; ++k) {
      const int64_t top = (k / 3) * 3, left = (k % 3) * 4;
      auto tile = out.narrow(2, top, 2).narrow(3, left, 3);
      QVERIFY2(close(tile, at::full_like(tile, (k + 1) / 10.0)), qPrintable(QString("tile %1").arg(k)));
    }
    QVERIFY(close(out.narrow(2, 3, 2).narrow(3, 8, 3), at::full({1, 1, 2, 3}, 0.9)));  // empty cell
    QVERIFY(close(out.narrow(2, 2, 1), at::full({1, 1, 1, 11}, 0.9)));                // padding row
    QVERIFY(close(out.narrow(3, 3, 1), at::full({1, 1, 5, 1}, 0.9)));                  // padding column
  }

  void grid_honours_column_count() {
    auto out = grid(at::rand({4, 3, 2, 2}), 4, 0, 0.0);
    QCOMPARE(out.sizes().vec(), (std::vector<int64_t>{1, 3, 2, 8}));
  }

  void join_select_and_channel_conversions() {
    auto a = at::zeros({2, 1, 4, 4});
    auto b = at::ones({1, 3, 2, 2});
    auto joined = join_batches(a, b);
    QCOMPARE(joined.sizes().vec(), (std::vector<int64_t>{3, 3, 4, 4}));
    QVERIFY(close(joined[2], at::ones({3, 4, 4})));
    QVERIFY(close(ng::image::select(joined, -1, 1), at::ones({1, 3, 4, 4})));
    QCOMPARE(ng::image::select(joined, 1, 5).size(0), 2);  // clipped at the end of the batch
    QVERIFY_THROWS_EXCEPTION(ng::Error, ng::image::select(joined, 3, 1));

    auto rgb = at::tensor({1.0f, 0.0f, 0.0f}).view({1, 3, 1, 1});
    QVERIFY(close(to_grey(rgb), at::full({1, 1, 1, 1}, 0.299)));
    QVERIFY(close(to_rgb(grey({{0.3f}})), at::full({1, 3, 1, 1}, 0.3)));
    QVERIFY(close(invert(grey({{0.3f}})), grey({{0.7f}})));
    QVERIFY(close(solid(3, 2, 3, 0.5, 2), at::full({2, 3, 2, 3}, 0.5)));
  }

  void bad_images_give_clear_errors() {
    try {
      check_image(at::zeros({1, 4, 2, 2}), "input 'image'");
      QFAIL("accepted 4 channels");
    } catch (const ng::Error& e) {
      QVERIFY(QString(e.what()).contains("1 (grey) or 3 (RGB) channels, found 4"));
    }
    QVERIFY_THROWS_EXCEPTION(ng::Error, check_image(at::zeros({2, 2}), "x"));
    QVERIFY_THROWS_EXCEPTION(ng::Error, check_image(at::zeros({1, 3, 2, 2}, at::kDouble), "x"));
  }
};

QTEST_APPLESS_MAIN(ImageOps)
#include "test_image_ops.moc"
