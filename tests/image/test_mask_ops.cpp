// Mask maths on small masks whose results can be worked out by hand.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <QtTest>

#include <thread>

#include "mask_ops.hpp"
#include "noisegraph/error.hpp"

using namespace ng::mask;

namespace {

at::Tensor m(std::vector<std::vector<float>> rows) {
  const int64_t h = int64_t(rows.size()), w = int64_t(rows[0].size());
  auto t = at::empty({1, 1, h, w}, at::kFloat);
  for (int64_t i = 0; i < h; ++i)
    for (int64_t j = 0; j < w; ++j) t[0][0][i][j] = rows[i][j];
  return t;
}

bool close(const at::Tensor& a, const at::Tensor& b, double tol = 1e-6) {
  return a.sizes() == b.sizes() && at::allclose(a, b, 0.0, tol);
}

// A size x size mask with a square block of ones.
at::Tensor block(int64_t size, int64_t top, int64_t left, int64_t side) {
  auto t = at::zeros({1, 1, size, size});
  t.narrow(2, top, side).narrow(3, left, side).fill_(1.0);
  return t;
}

}  // namespace

class MaskOps : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { at::set_num_threads(int(std::thread::hardware_concurrency())); }

  void as_mask_accepts_2d_and_3d_and_rejects_channels() {
    QCOMPARE(as_mask(at::zeros({4, 5}), "m").sizes().vec(), (std::vector<int64_t>{1, 1, 4, 5}));
    QCOMPARE(as_mask(at::zeros({2, 4, 5}), "m").sizes().vec(), (std::vector<int64_t>{2, 1, 4, 5}));
    QVERIFY_THROWS_EXCEPTION(ng::Error, as_mask(at::zeros({1, 3, 4, 5}), "m"));
  }

  void from_image_picks_channel_or_luminance() {
    auto img = at::tensor({0.2f, 0.4f, 0.6f}).view({1, 3, 1, 1});
    QVERIFY(close(from_image(img, Channel::Red), m({{0.2f}})));
    QVERIFY(close(from_image(img, Channel::Green), m({{0.4f}})));
    QVERIFY(close(from_image(img, Channel::Blue), m({{0.6f}})));
    QVERIFY(close(from_image(img, Channel::Luminance), m({{0.299f * 0.2f + 0.587f * 0.4f + 0.114f * 0.6f}})));
    QVERIFY(close(from_image(at::full({1, 1, 1, 1}, 0.7), Channel::Blue), m({{0.7f}})));
  }

  void threshold_is_strictly_above() {
    QVERIFY(close(threshold(m({{0.2f, 0.5f, 0.7f}}), 0.5), m({{0, 0, 1}})));
    QVERIFY(close(threshold(m({{0.0f, 0.01f}}), 0.0), m({{0, 1}})));
  }

  void invert_swaps_regions() { QVERIFY(close(invert(m({{0.0f, 0.25f, 1.0f}})), m({{1.0f, 0.75f, 0.0f}}))); }

  void grow_dilates_by_a_square() {
    auto out = grow(block(7, 3, 3, 1), 2);
    QVERIFY(close(out, block(7, 1, 1, 5)));
  }

  void negative_grow_erodes() {
    QVERIFY(close(grow(block(7, 1, 1, 5), -2), block(7, 3, 3, 1)));
    QVERIFY(close(grow(block(7, 2, 2, 3), -2), at::zeros({1, 1, 7, 7})));
  }

  void grow_ignores_the_canvas_border() {
    // Ones touching the border are not eroded by the outside, and growth at a corner clips.
    QVERIFY(close(grow(at::ones({1, 1, 4, 4}), -1), at::ones({1, 1, 4, 4})));
    QVERIFY(close(grow(block(5, 0, 0, 1), 1), block(5, 0, 0, 2)));
  }

  void grow_of_soft_mask_is_max_filter() {
    QVERIFY(close(grow(m({{0.0f, 0.3f, 0.0f, 0.0f}}), 1), m({{0.3f, 0.3f, 0.3f, 0.0f}})));
  }

  void feather_keeps_uniform_masks_and_far_pixels() {
    QVERIFY(close(feather(at::full({1, 1, 5, 6}, 0.4), 3), at::full({1, 1, 5, 6}, 0.4)));
    // Left half ones, 16 wide, radius 3: columns more than 3 pixels from the edge are
    // untouched; the edge becomes a ramp symmetric about the boundary (v[7-k] + v[8+k] = 1).
    auto half = at::zeros({1, 1, 2, 16});
    half.narrow(3, 0, 8).fill_(1.0);
    auto out = feather(half, 3);
    auto row = out[0][0][0];
    QVERIFY(close(out.narrow(3, 0, 5), at::ones({1, 1, 2, 5})));
    QVERIFY(close(out.narrow(3, 11, 5), at::zeros({1, 1, 2, 5})));
    for (int k = 0; k < 4; ++k) QVERIFY(std::abs(row[7 - k].item<float>() + row[8 + k].item<float>() - 1.0f) < 1e-6);
    for (int j = 0; j < 15; ++j) QVERIFY(row[j].item<float>() >= row[j + 1].item<float>());
    QVERIFY(row[7].item<float>() < 1.0f && row[8].item<float>() > 0.0f);
  }

  void feather_radius_larger_than_mask_is_fine() {
    auto out = feather(m({{1, 0}}), 10);
    QCOMPARE(out.sizes().vec(), (std::vector<int64_t>{1, 1, 1, 2}));
    QVERIFY(std::abs(out.sum().item<float>() - 1.0f) < 1e-5);  // symmetric kernel: v0 + v1 = 1
  }

  void rectangle_marks_box_clipped_to_canvas() {
    QVERIFY(close(rectangle(4, 3, 1, 1, 2, 5), m({{0, 0, 0, 0}, {0, 1, 1, 0}, {0, 1, 1, 0}})));
    QVERIFY(close(rectangle(3, 2, -1, 0, 2, 1), m({{1, 0, 0}, {0, 0, 0}})));
    QVERIFY(close(rectangle(3, 2, 0, 0, 0, 2), at::zeros({1, 1, 2, 3})));
  }

  void ellipse_marks_pixel_centres_inside() {
    // Circle inscribed in a 4x4 box: corner centres lie at radius sqrt(2)*0.75 > 1 of the
    // unit circle, the other 12 centres inside.
    QVERIFY(close(ellipse(4, 4, 0, 0, 4, 4), m({{0, 1, 1, 0}, {1, 1, 1, 1}, {1, 1, 1, 1}, {0, 1, 1, 0}})));
    auto shifted = ellipse(6, 5, 2, 1, 4, 4);
    QVERIFY(close(shifted.narrow(2, 1, 4).narrow(3, 2, 4), ellipse(4, 4, 0, 0, 4, 4)));
    QCOMPARE(shifted.sum().item<float>(), 12.0f);
  }

  void combine_union_intersect_subtract() {
    auto a = m({{0.0f, 0.3f, 1.0f}});
    auto b = m({{0.5f, 0.5f, 0.0f}});
    QVERIFY(close(combine(a, b, Combine::Union), m({{0.5f, 0.5f, 1.0f}})));
    QVERIFY(close(combine(a, b, Combine::Intersect), m({{0.0f, 0.3f, 0.0f}})));
    QVERIFY(close(combine(a, b, Combine::Subtract), m({{0.0f, 0.0f, 1.0f}})));
    QVERIFY_THROWS_EXCEPTION(ng::Error, combine(a, m({{0, 0}}), Combine::Union));
  }

  void to_image_grey_or_rgb() {
    auto img = to_image(m({{0.25f}}), 3);
    QVERIFY(close(img, at::full({1, 3, 1, 1}, 0.25)));
    QCOMPARE(to_image(m({{0.25f}}), 1).size(1), 1);
  }

  void area_downscale_of_aligned_half_mask_is_exact() {
    auto half = at::zeros({1, 1, 64, 64});
    half.narrow(3, 0, 32).fill_(1.0);
    auto small = resize_area(half, 8, 8);
    auto expected = at::zeros({1, 1, 8, 8});
    expected.narrow(3, 0, 4).fill_(1.0);
    QVERIFY(at::equal(small, expected));
  }

  void area_downscale_gives_coverage_fraction_and_keeps_mean() {
    auto stripe = at::zeros({2, 1, 8, 8});
    stripe.narrow(3, 5, 3).fill_(1.0);  // 3 of the 4 columns in the second 4-wide block
    auto out = resize_area(stripe, 2, 2);
    QVERIFY(close(out, at::tensor({0.0f, 0.75f, 0.0f, 0.75f}).view({1, 1, 2, 2}).expand({2, 1, 2, 2})));
    auto blob = at::rand({1, 1, 24, 32});
    QVERIFY(std::abs(resize_area(blob, 3, 4).mean().item<float>() - blob.mean().item<float>()) < 1e-5);
  }

  void solid_fills_canvas() { QVERIFY(close(solid(3, 2, 0.5), at::full({1, 1, 2, 3}, 0.5))); }
};

QTEST_APPLESS_MAIN(MaskOps)
#include "test_mask_ops.moc"
