# The mutants: each is one deliberate bug, kept as data. An entry is
#
#   matbp_mutant(<id> <file under the repository root>
#     BUG    "<what the bug is, one line>"
#     KILLER <Boost.Test case> [<case> …]   # the run passes only if one of these fails
#     FROM [==[<original snippet>]==]        # must occur in the file EXACTLY ONCE
#     TO   [==[<replacement>]==])
#
# optionally with TEST <test> (default: the mirror of the file, tests/<stem>_test.cpp, as the
# executable target <stem>_test) and SEED <n> (default MATBP_MUTANT_SEED below).
# Snippets are verbatim (whitespace included; a bracket argument drops one newline right after
# its opening [==[). tests/mutants/CMakeLists.txt builds and runs them; tests/mutants.md lists them.

# RapidCheck's seed for every mutation run (RC_PARAMS=seed=…), so that each kill is reproducible.
set(MATBP_MUTANT_SEED 20261130)

# ---- src/matbp/backprop.hpp (C1, judged by tests/backprop_test.cpp) -------------------------

matbp_mutant(backprop_1 src/matbp/loss.hpp
  BUG    "the squared error's gradient with its sign flipped: Y − Aᵏ"
  TEST   backprop_test
  KILLER C1_backprop_eq_ad_of_batch_cost
  FROM [==[return A - Y;]==]
  TO   [==[return Y - A;]==])

matbp_mutant(backprop_2 src/matbp/backprop.hpp
  BUG    "the batch mean applied twice"
  KILLER C1_backprop_eq_ad_of_batch_cost
  FROM [==[const T scale = reduction_scale<T>(ell, red, n, net.width(k));]==]
  TO   [==[const T scale = red == reduction::mean ? T(reduction_scale<T>(ell, red, n, net.width(k)) / T(static_cast<long>(n))) : T(1);]==])

matbp_mutant(backprop_3 src/matbp/backprop.hpp
  BUG    "δᵏ without fᵏ′"
  KILLER C1_backprop_eq_ad_of_batch_cost
  FROM [==[matrix<T> Delta = derivative_at(net.layers[k - 1].f, fwd.z[k]).cwiseProduct(G) * scale;]==]
  TO   [==[matrix<T> Delta = G * scale;]==])

matbp_mutant(backprop_4 src/matbp/backprop.hpp
  BUG    "fᵏ′ taken at Aᵏ instead of Zᵏ"
  KILLER C1_backprop_eq_ad_of_batch_cost
  FROM [==[derivative_at(net.layers[k - 1].f, fwd.z[k])]==]
  TO   [==[derivative_at(net.layers[k - 1].f, fwd.a[k])]==])

matbp_mutant(backprop_5 src/matbp/backprop.hpp
  BUG    "a missing transpose: Aˡ⁻¹ reshaped instead of transposed"
  KILLER C1_backprop_eq_ad_of_batch_cost
  FROM [==[r.dW[l] = mul(Delta, fwd.a[l - 1].transpose());]==]
  TO   [==[r.dW[l] = mul(Delta, matrix<T>(fwd.a[l - 1].reshaped(n, fwd.a[l - 1].rows())));]==])

matbp_mutant(backprop_6 src/matbp/backprop.hpp
  BUG    "the wrong layer index: Aˡ for Aˡ⁻¹ (where the shapes permit)"
  KILLER C1_backprop_eq_ad_of_batch_cost
  FROM [==[r.dW[l] = mul(Delta, fwd.a[l - 1].transpose());]==]
  TO   [==[r.dW[l] = fwd.a[l].rows() == fwd.a[l - 1].rows() ? mul(Delta, fwd.a[l].transpose())
                                                          : mul(Delta, fwd.a[l - 1].transpose());]==])

matbp_mutant(backprop_7 src/matbp/backprop.hpp
  BUG    "the bias gradient missing"
  KILLER C1_backprop_eq_ad_of_batch_cost
  FROM [==[r.db[l] = Delta.rowwise().sum();]==]
  TO   [==[r.db[l] = matrix<T>::Zero(Delta.rows(), 1);]==])

matbp_mutant(backprop_8 src/matbp/backprop.hpp
  BUG    "the bias gradient from the first sample only"
  KILLER C1_backprop_eq_ad_of_batch_cost
  FROM [==[r.db[l] = Delta.rowwise().sum();]==]
  TO   [==[r.db[l] = Delta.col(0);]==])

matbp_mutant(backprop_9 src/matbp/backprop.hpp
  BUG    "off by one in the recursion: fˡ′ at Zˡ⁻¹"
  KILLER C1_backprop_eq_ad_of_batch_cost
  FROM [==[const auto& f_prev = net.layers[l - 2].f;]==]
  TO   [==[const auto& f_prev = net.layers[l - 1].f;]==])

matbp_mutant(backprop_10 src/matbp/backprop.hpp
  BUG    "Wˡ not transposed (square layers)"
  KILLER C1_backprop_eq_ad_of_batch_cost
  FROM [==[const matrix<T> back = mul(net.layers[l - 1].W.transpose(), Delta);]==]
  TO   [==[const matrix<T> back = net.layers[l - 1].W.rows() == net.layers[l - 1].W.cols()
                                   ? mul(net.layers[l - 1].W, Delta)
                                   : mul(net.layers[l - 1].W.transpose(), Delta);]==])

matbp_mutant(backprop_11 src/matbp/backprop.hpp
  BUG    "ReLU′(0) := 1, against D11"
  KILLER C1_relu_kinks_follow_d11
  FROM [==[Delta = derivative_at(f_prev, fwd.z[l - 1]).cwiseProduct(back);]==]
  TO   [==[matrix<T> fp = derivative_at(f_prev, fwd.z[l - 1]);
        if (std::holds_alternative<relu_fn>(f_prev))
            for (Eigen::Index j = 0; j < fp.cols(); ++j)
                for (Eigen::Index i = 0; i < fp.rows(); ++i)
                    if (fwd.z[l - 1](i, j) == 0) fp(i, j) = T(1);
        Delta = fp.cwiseProduct(back);]==])

matbp_mutant(backprop_12 src/matbp/backprop.hpp
  BUG    "hidden δ without fˡ′"
  KILLER C1_backprop_eq_ad_of_batch_cost
  FROM [==[Delta = derivative_at(f_prev, fwd.z[l - 1]).cwiseProduct(back);]==]
  TO   [==[Delta = back;]==])

# ---- src/matbp/dyadic.cpp (C1.dyadic, judged by tests/dyadic_test.cpp) ----------------------

matbp_mutant(dyadic_1 src/matbp/dyadic.cpp
  BUG    "the borrow lost where two limbs are equal"
  KILLER C1_dyadic_carries_and_borrows_across_limbs
  FROM [==[borrow = static_cast<limb>((x < y) | (d1 < borrow));]==]
  TO   [==[borrow = static_cast<limb>(x < y);]==])

matbp_mutant(dyadic_2 src/matbp/dyadic.cpp
  BUG    "the carry stops after one limb"
  KILLER C1_dyadic_carries_and_borrows_across_limbs
  FROM [==[carry = s < carry;]==]
  TO   [==[carry = 0;]==])

matbp_mutant(dyadic_3 src/matbp/dyadic.cpp
  BUG    "the width bound without the ⌈log₂ n⌉ of the sum"
  KILLER C1_dyadic_carries_and_borrows_across_limbs
  FROM [==[magnitude_bits(P) + magnitude_bits(Q) + log2n + 63) / 64]==]
  TO   [==[magnitude_bits(P) + magnitude_bits(Q) + 63) / 64]==])

matbp_mutant(dyadic_4 src/matbp/dyadic.cpp
  BUG    "trailing zeros kept: not canonical"
  KILLER dyadic_matrix_canonical_eq_is_value_eq
  FROM [==[tz = std::min(tz, static_cast<unsigned long>(lo * 64 + static_cast<std::size_t>(std::countr_zero(p[lo]))));]==]
  TO   [==[tz = 0;]==])

matbp_mutant(dyadic_5 src/matbp/dyadic.cpp
  BUG    "each thread but the first skips its first entry"
  KILLER C1_dyadic_independent_of_thread_count
  FROM [==[run(P, Q, C, entries * u / T, entries * (u + 1) / T);]==]
  TO   [==[run(P, Q, C, entries * u / T + (u > 0), entries * (u + 1) / T);]==])

matbp_mutant(dyadic_6 src/matbp/dyadic.cpp
  BUG    "at a breakpoint the right piece always (ReLU′(0) := 1), against D11"
  KILLER C1_dyadic_eq_rational_backprop
  FROM [==[if (c < 0 || (c == 0 && !f.right[b])) {]==]
  TO   [==[if (c < 0) {]==])

matbp_mutant(dyadic_7 src/matbp/dyadic.cpp
  BUG    "a piece's slope exponent dropped (the leaky slope's, hardtanh's)"
  KILLER C1_dyadic_eq_rational_backprop
  FROM [==[times_power_of_two(V.m[t] * s.m, V.e + s.e - e)]==]
  TO   [==[times_power_of_two(V.m[t] * s.m, V.e - e)]==])
