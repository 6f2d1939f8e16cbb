// The patched ggml CPU OUT_PROD: the backward pass of a matmul through a frozen weight (LoRA over
// a quantized or F16 model). patches/llama.cpp-training.patch dequantizes the weight in tiles (16
// rows by ~256 columns, applied to up to 64 tokens) instead of once per token; this checks it
// against OUT_PROD over the same weights dequantized to F32, with sizes that leave partial tiles
// and thread counts whose row ranges cross the batch dimension.
#include <ggml-cpu.h>
#include <ggml.h>
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <vector>

namespace {

struct CtxFree {
  void operator()(ggml_context* c) const noexcept { ggml_free(c); }
};

class OutProd : public ::testing::TestWithParam<ggml_type> {};

TEST_P(OutProd, MatchesTheSameWeightsDequantizedToF32) {
  const ggml_type type = GetParam();
  // 40 rows: two blocks of 16 and one of 8; 512 columns: two tiles; 70 tokens: a partial row tile
  constexpr int64_t k = 512, m = 40, n = 70, batch = 2;
  ggml_init_params params{64u << 20, nullptr, false};
  std::unique_ptr<ggml_context, CtxFree> ctx(ggml_init(params));
  ASSERT_NE(ctx, nullptr);
  std::mt19937 rng(7);

  std::vector<float> w(static_cast<size_t>(k * m * batch));
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (auto& x : w) x = d(rng);
  ggml_tensor* a = ggml_new_tensor_3d(ctx.get(), type, k, m, batch);
  ggml_quantize_chunk(type, w.data(), a->data, 0, m * batch, k, nullptr);
  ggml_tensor* a32 = ggml_new_tensor_3d(ctx.get(), GGML_TYPE_F32, k, m, batch);
  const auto* traits = ggml_get_type_traits(type);
  for (int64_t r = 0; r < m * batch; ++r)
    traits->to_float(static_cast<const char*>(a->data) + r * static_cast<int64_t>(a->nb[1]),
                     static_cast<float*>(a32->data) + r * k, k);
  ggml_tensor* b = ggml_new_tensor_3d(ctx.get(), GGML_TYPE_F32, n, m, batch);
  auto* bd = static_cast<float*>(b->data);
  for (int64_t i = 0; i < ggml_nelements(b); ++i) bd[i] = d(rng);

  for (int threads : {1, 2, 3}) {
    ggml_tensor* out = ggml_out_prod(ctx.get(), a, b);
    ggml_tensor* ref = ggml_out_prod(ctx.get(), a32, b);
    ggml_cgraph* gf = ggml_new_graph(ctx.get());
    ggml_build_forward_expand(gf, out);
    ggml_build_forward_expand(gf, ref);
    ASSERT_EQ(ggml_graph_compute_with_ctx(ctx.get(), gf, threads), GGML_STATUS_SUCCESS);
    ASSERT_EQ(out->ne[0], k);
    ASSERT_EQ(out->ne[1], n);
    ASSERT_EQ(out->ne[2], batch);
    const auto* o = static_cast<const float*>(out->data);
    const auto* e = static_cast<const float*>(ref->data);
    double max_err = 0, max_ref = 0;
    for (int64_t i = 0; i < ggml_nelements(out); ++i) {
      max_err = std::max(max_err, static_cast<double>(std::fabs(o[i] - e[i])));
      max_ref = std::max(max_ref, static_cast<double>(std::fabs(e[i])));
    }
    EXPECT_GT(max_ref, 1.0) << "threads " << threads;  // sums of 40 products of N(0,1)
    EXPECT_LE(max_err, 1e-4 * max_ref) << "threads " << threads;
  }
}

INSTANTIATE_TEST_SUITE_P(Types, OutProd, ::testing::Values(GGML_TYPE_Q4_K, GGML_TYPE_Q8_0, GGML_TYPE_F16),
                         [](const auto& info) { return std::string(ggml_type_name(info.param)); });

}  // namespace
