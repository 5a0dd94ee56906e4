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
  FROM [==[detail::output_delta_into(net.layers[k - 1].f, fwd.z[k], G, scale, ws.delta[k]);]==]
  TO   [==[ws.delta[k] = G * scale;]==])

matbp_mutant(backprop_4 src/matbp/backprop.hpp
  BUG    "fᵏ′ taken at Aᵏ instead of Zᵏ"
  KILLER C1_backprop_eq_ad_of_batch_cost
  FROM [==[detail::output_delta_into(net.layers[k - 1].f, fwd.z[k],]==]
  TO   [==[detail::output_delta_into(net.layers[k - 1].f, fwd.a[k],]==])

matbp_mutant(backprop_5 src/matbp/backprop.hpp
  BUG    "a missing transpose: Aˡ⁻¹ reshaped instead of transposed"
  KILLER C1_backprop_eq_ad_of_batch_cost
  FROM [==[mul_into(r.dW[l], Delta, fwd.a[l - 1].transpose());]==]
  TO   [==[mul_into(r.dW[l], Delta, matrix<T>(fwd.a[l - 1].reshaped(n, fwd.a[l - 1].rows())));]==])

matbp_mutant(backprop_6 src/matbp/backprop.hpp
  BUG    "the wrong layer index: Aˡ for Aˡ⁻¹ (where the shapes permit)"
  KILLER C1_backprop_eq_ad_of_batch_cost
  FROM [==[mul_into(r.dW[l], Delta, fwd.a[l - 1].transpose());]==]
  TO   [==[mul_into(r.dW[l], Delta, fwd.a[l].rows() == fwd.a[l - 1].rows() ? fwd.a[l].transpose()
                                                                         : fwd.a[l - 1].transpose());]==])

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
  FROM [==[mul_into(back, net.layers[l - 1].W.transpose(), Delta);]==]
  TO   [==[if (net.layers[l - 1].W.rows() == net.layers[l - 1].W.cols())
            mul_into(back, net.layers[l - 1].W, Delta);
        else
            mul_into(back, net.layers[l - 1].W.transpose(), Delta);]==])

matbp_mutant(backprop_11 src/matbp/backprop.hpp
  BUG    "ReLU′(0) := 1, against D11"
  KILLER C1_relu_kinks_follow_d11
  FROM [==[detail::times_derivative_in_place(f_prev, fwd.z[l - 1], back);]==]
  TO   [==[matrix<T> fp = derivative_at(f_prev, fwd.z[l - 1]);
        if (std::holds_alternative<relu_fn>(f_prev))
            for (Eigen::Index j = 0; j < fp.cols(); ++j)
                for (Eigen::Index i = 0; i < fp.rows(); ++i)
                    if (fwd.z[l - 1](i, j) == 0) fp(i, j) = T(1);
        back = matrix<T>(fp.cwiseProduct(back));]==])

matbp_mutant(backprop_12 src/matbp/backprop.hpp
  BUG    "hidden δ without fˡ′"
  KILLER C1_backprop_eq_ad_of_batch_cost
  FROM [==[detail::times_derivative_in_place(f_prev, fwd.z[l - 1], back);]==]
  TO   [==[(void)f_prev;]==])

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

matbp_mutant(dyadic_8 src/matbp/dyadic.cpp
  BUG    "from_exact keeps the numerators' common trailing zeros: not canonical"
  KILLER dyadic_matrix_canonical_eq_is_value_eq
  FROM [==[e = std::min(e, et[t] + static_cast<long>(64 * low) + static_cast<long>(std::countr_zero(p[low])));]==]
  TO   [==[e = std::min(e, et[t]);]==])

matbp_mutant(dyadic_9 src/matbp/dyadic.cpp
  BUG    "dyadic_entries rounds a tie to odd"
  KILLER dyadic_entries_eq_rational_route
  FROM [==[mant += half > 0 || (half == 0 && (mant & 1));]==]
  TO   [==[mant += half > 0 || (half == 0 && !(mant & 1));]==])

matbp_mutant(dyadic_10 src/matbp/dyadic.cpp
  BUG    "dyadic_entries' text not in lowest terms: the odd part of the scale's divisor never cancelled"
  KILLER dyadic_entries_eq_rational_route
  FROM [==[if (g != 1) {]==]
  TO   [==[if (g == 0) {]==])

matbp_mutant(dyadic_11 src/matbp/dyadic.cpp
  BUG    "slices one bit too wide: n(2^sp − 1)(2^sq − 1) may reach 2⁵³, beyond C1.dyadic (iv)"
  KILLER C1_dyadic_iv_slices_exact_at_the_bound_edge
  FROM [==[std::bit_width(static_cast<std::uint64_t>(cap) + 1) - 1);]==]
  TO   [==[std::bit_width(static_cast<std::uint64_t>(cap) + 1));]==])

matbp_mutant(dyadic_12 src/matbp/dyadic.cpp
  BUG    "a slice product shifted by sp·(u + v) although Q's slices are sq bits wide"
  KILLER C1_dyadic_iv_slices_eq_limbs
  FROM [==[const std::size_t sh = sl.sp * u + sl.sq * v;]==]
  TO   [==[const std::size_t sh = sl.sp * (u + v);]==])

matbp_mutant(dyadic_13 src/matbp/dyadic.cpp
  BUG    "a negative slice-route entry's negation carries into one limb only"
  KILLER C1_dyadic_iv_slices_eq_limbs
  FROM [==[borrow = borrow && x == 0;]==]
  TO   [==[borrow = 0;]==])

matbp_mutant(dyadic_14 src/matbp/dyadic.cpp
  BUG    "a slice that straddles two limbs loses the upper limb's bits"
  KILLER C1_dyadic_iv_slices_eq_limbs
  FROM [==[if (r && q + 1 < w) x |= m[q + 1] << (64 - r);]==]
  TO   [==[(void)r;]==])

matbp_mutant(dyadic_15 src/matbp/dyadic.cpp
  BUG    "from_double drops the bits a shift carries past an entry's first limb"
  KILLER dyadic_matrix_from_double_eq_to_exact
  FROM [==[if (r != 0 && q + 1 < w) dst[q + 1] = p.odd >> (64 - r);]==]
  TO   [==[(void)r;]==])

matbp_mutant(dyadic_16 src/matbp/dyadic.cpp
  BUG    "(Wˡ)ᵀ converted from doubles in W's own order, not transposed"
  KILLER C1_dyadic_from_double_net_eq_from_exact_net
  FROM [==[const auto t = static_cast<std::size_t>(transposed ? j + i * M.cols() : i + j * M.rows());]==]
  TO   [==[const auto t = static_cast<std::size_t>(i + j * M.rows());]==])

matbp_mutant(dyadic_17 src/matbp/dyadic.cpp
  BUG    "the size rule's shortcut one limb too generous: a 33-limb form of doubles never refused"
  KILLER dyadic_matrix_from_tensor_keeps_the_size_rule
  FROM [==[if (w <= 32) return true;]==]
  TO   [==[if (w <= 33) return true;]==])

# ---- src/matbp/contract.hpp, contract.cpp (the contract levels; tests/contract_test.cpp) --------
# contract.hpp's checks are macros: a mutant of one changes exactly the translation units that
# expand it, all of which are recompiled.

matbp_mutant(contract_1 src/matbp/contract.hpp
  BUG    "a cheap postcondition checked only at the expensive level (> for >=)"
  TEST   contract_test
  KILLER levels_gate_postconditions
  FROM [==[if (::matbp::current_contract_level() >= ::matbp::contract_level::cheap && !(__VA_ARGS__))]==]
  TO   [==[if (::matbp::current_contract_level() > ::matbp::contract_level::cheap && !(__VA_ARGS__))]==])

matbp_mutant(contract_2 src/matbp/contract.cpp
  BUG    "the guard's destructor does not restore the saved level"
  KILLER guard_restores_level
  FROM [==[contract_level_guard::~contract_level_guard() { g_level.store(saved_); }]==]
  TO   [==[contract_level_guard::~contract_level_guard() {}]==])

matbp_mutant(contract_3 src/matbp/contract.cpp
  BUG    "the violation's id and kind swapped in the constructor"
  KILLER violation_carries_id_condition_location
  FROM [==[          id_(std::move(id)),
          kind_(std::move(kind)),]==]
  TO   [==[          id_(kind),
          kind_(std::move(id)),]==])

matbp_mutant(contract_4 src/matbp/contract.hpp
  BUG    "an expensive postcondition already checked at the cheap level"
  TEST   contract_test
  KILLER levels_gate_postconditions
  FROM [==[if (::matbp::current_contract_level() >= ::matbp::contract_level::expensive && !(__VA_ARGS__))]==]
  TO   [==[if (::matbp::current_contract_level() >= ::matbp::contract_level::cheap && !(__VA_ARGS__))]==])

# ---- src/matbp/error.cpp (located messages; tests/error_test.cpp) ------------------------------

matbp_mutant(error_1 src/matbp/error.cpp
  BUG    "a newline in a file name not escaped: the message spans two lines"
  KILLER messages_are_located
  FROM [==[        if (c == '\n')
            out += "\\n";
        else if]==]
  TO   [==[        if]==])

matbp_mutant(error_2 src/matbp/error.cpp
  BUG    "file and path joined by ':' instead of ': '"
  KILLER messages_are_located
  FROM [==[file + (path.empty() ? ":" : ": ") + where]==]
  TO   [==[file + ":" + where]==])

matbp_mutant(error_3 src/matbp/error.cpp
  BUG    "resource_error::in_file drops the reason"
  KILLER in_file_keeps_the_type
  FROM [==[return resource_error(which_, path_, reason_, std::move(file));]==]
  TO   [==[return resource_error(which_, path_, "", std::move(file));]==])

# ---- src/matbp/scalar.cpp (MPFR/MPFI values as rationals; tests/scalar_test.cpp) ---------------

matbp_mutant(scalar_1 src/matbp/scalar.cpp
  BUG    "a negative binary exponent multiplied instead of divided"
  KILLER exact_value_of_zero_and_dyadics
  FROM [==[        r /= exact(bmp::mpz_int(one << static_cast<unsigned>(-e)));]==]
  TO   [==[        r *= exact(bmp::mpz_int(one << static_cast<unsigned>(-e)));]==])

matbp_mutant(scalar_2 src/matbp/scalar.cpp
  BUG    "an interval's lower endpoint not enclosed (< for <=)"
  KILLER encloses_decides_membership
  FROM [==[mpfr_cmp_q(lo.backend().data(), q.backend().data()) <= 0]==]
  TO   [==[mpfr_cmp_q(lo.backend().data(), q.backend().data()) < 0]==])

matbp_mutant(scalar_3 src/matbp/scalar.cpp
  BUG    "the precision guard restores only the real type's precision"
  KILLER precision_guard_sets_and_restores
  FROM [==[    real::default_precision(saved_real_);
    interval::default_precision(saved_interval_);]==]
  TO   [==[    real::default_precision(saved_real_);]==])

# ---- src/matbp/blas.cpp (the double path's products on OpenBLAS; tests/scalar_test.cpp) --------

matbp_mutant(blas_1 src/matbp/blas.cpp
  BUG    "a block operand's leading dimension taken as its rows (the parent's stride ignored)"
  TEST   scalar_test
  KILLER double_product_within_gamma_k
  FROM [==[std::max<Eigen::Index>({1, a.rows(), a.outerStride()})]==]
  TO   [==[std::max<Eigen::Index>(1, a.rows())]==])

matbp_mutant(blas_2 src/matbp/blas.cpp
  BUG    "the thread scope does not restore the count before it"
  TEST   scalar_test
  KILLER blas_thread_scope_sets_and_restores
  FROM [==[    if (changed_) set_blas_threads(saved_);]==]
  TO   [==[    (void)saved_;]==])

# ---- src/matbp/convert.cpp, convert.hpp (number parsers, rounding, split_double; tests/convert_test.cpp)

matbp_mutant(convert_1 src/matbp/convert.cpp
  BUG    "ties rounded away from zero instead of to even"
  KILLER to_double_ties_and_range
  FROM [==[if (twice > den || (twice == den && bmp::bit_test(m, 0))) ++m;]==]
  TO   [==[if (twice >= den) ++m;]==])

matbp_mutant(convert_2 src/matbp/convert.cpp
  BUG    "rounding toward zero: the remainder ignored"
  KILLER to_double_ties_and_range
  FROM [==[if (twice > den || (twice == den && bmp::bit_test(m, 0))) ++m;]==]
  TO   [==[if (twice > den && twice == den) ++m;]==])

matbp_mutant(convert_3 src/matbp/convert.cpp
  BUG    "the hexadecimal fraction digits scaled by 2^-1 instead of 2^-4 each"
  KILLER parse_exact_grammar
  FROM [==[pow2(p - 4 * static_cast<long long>(fp.size()))]==]
  TO   [==[pow2(p - static_cast<long long>(fp.size()))]==])

matbp_mutant(convert_4 src/matbp/convert.cpp
  BUG    "a negative decimal exponent read as positive"
  KILLER parse_exact_grammar
  FROM [==[    return neg ? -e : e;]==]
  TO   [==[    return e;]==])

matbp_mutant(convert_5 src/matbp/convert.cpp
  BUG    "the subnormal threshold of binary64 off by one (2^-1073)"
  KILLER to_exact_edge_values
  FROM [==[round_binary(q, 53, -1074, 1024)]==]
  TO   [==[round_binary(q, 53, -1073, 1024)]==])

matbp_mutant(convert_6 src/matbp/convert.cpp
  BUG    "the double converted through float: its low mantissa bits and its range lost"
  KILLER to_exact_edge_values
  FROM [==[mpq_set_d(q.backend().data(), d);]==]
  TO   [==[mpq_set_d(q.backend().data(), static_cast<float>(d));]==])

matbp_mutant(convert_7 src/matbp/convert.hpp
  BUG    "split_double's subnormal exponent off by one (−1075 for −1074: the biased 0 read as 0, not 1)"
  TEST   convert_test
  KILLER split_double_eq_to_exact_at_the_edges split_double_eq_to_exact
  FROM [==[return {(bits >> 63) != 0, m >> tz, (biased == 0 ? 1 : biased) - 1075 + tz};]==]
  TO   [==[return {(bits >> 63) != 0, m >> tz, (biased == 0 ? 0 : biased) - 1075 + tz};]==])

# ---- src/cli/errors.hpp (exceptions → exit codes; tests/cli_errors_test.cpp) -------------------

matbp_mutant(cli_errors_1 src/cli/errors.hpp
  BUG    "a resource limit reported as bad input (exit 2 for 3)"
  TEST   cli_errors_test
  KILLER resources_exit_3_with_hints
  FROM [==[return {resource_limit, std::string(x.what()) + " (" + hint(x.which()) + ")"};]==]
  TO   [==[return {bad_input, std::string(x.what()) + " (" + hint(x.which()) + ")"};]==])

matbp_mutant(cli_errors_2 src/cli/errors.hpp
  BUG    "exit codes 3 and 4 swapped in the enumeration"
  TEST   cli_errors_test
  KILLER exit_codes_are_distinct resources_exit_3_with_hints bugs_exit_4
  FROM [==[resource_limit = 3, internal_error = 4]==]
  TO   [==[resource_limit = 4, internal_error = 3]==])

matbp_mutant(cli_errors_3 src/cli/errors.hpp
  BUG    "the hint for an unsupported exact evaluation lost (caught as plain bad input first)"
  TEST   cli_errors_test
  KILLER usage_and_input_exit_2
  FROM [==[            if (x.what_feature() == unsupported_error::feature::exact_evaluation)]==]
  TO   [==[            if (x.what_feature() != unsupported_error::feature::exact_evaluation)]==])

matbp_mutant(cli_errors_4 src/cli/errors.hpp
  BUG    "the bit-limit hint names the time flag"
  TEST   cli_errors_test
  KILLER resources_exit_3_with_hints
  FROM [==[            return "raise --max-bits, or use --arith interval:256";]==]
  TO   [==[            return "raise --time-limit, or use --arith interval:256";]==])

matbp_mutant(cli_errors_5 src/cli/errors.hpp
  BUG    "a failed output stream is reported as an internal error (exit 4)"
  TEST   cli_errors_test
  KILLER resources_exit_3_with_hints
  FROM [==[            return {resource_limit, "cannot write " + std::string(x.what()) +]==]
  TO   [==[            return {internal_error, "cannot write " + std::string(x.what()) +]==])

# ---- src/matbp/kron.hpp (D1–D5, L1–L4; tests/kron_test.cpp) ------------------------------------

matbp_mutant(kron_1 src/matbp/kron.hpp
  BUG    "vec stacks rows instead of columns"
  KILLER D1_vec_stacks_columns
  FROM [==[    for (Eigen::Index s = 0; s < X.cols(); ++s)
        for (Eigen::Index r = 0; r < X.rows(); ++r) v(k++) = X(r, s);]==]
  TO   [==[    for (Eigen::Index r = 0; r < X.rows(); ++r)
        for (Eigen::Index s = 0; s < X.cols(); ++s) v(k++) = X(r, s);]==])

matbp_mutant(kron_3 src/matbp/kron.hpp
  BUG    "the commutation matrix transposed: K_nm for K_mn"
  KILLER D4_commutation_is_permutation L4_commutation_maps_vec_to_vec_transpose
  FROM [==[K(i * n + j, j * m + i) = T(1);]==]
  TO   [==[K(j * m + i, i * n + j) = T(1);]==])

matbp_mutant(kron_4 src/matbp/kron.hpp
  BUG    "L1 with the Kronecker factors in the wrong order: A ⊗ Cᵀ"
  KILLER L1_vec_of_product_eq_kron_vec
  FROM [==[matrix<T> rhs = mul(kron<T>(Ct, A), vec<T>(B));]==]
  TO   [==[matrix<T> rhs = mul(kron<T>(A, Ct), vec<T>(B));]==])

# ---- src/matbp/jacobian.hpp (D6, L5, L6; tests/jacobian_test.cpp) ------------------------------

matbp_mutant(jacobian_1 src/matbp/jacobian.hpp
  BUG    "the input seeded in row-major order: the Jacobian's columns follow vec(Xᵀ)"
  KILLER D6_definition_eq_differences_for_affine
  FROM [==[seed(r + s * n) = T(1);]==]
  TO   [==[seed(r * q + s) = T(1);]==])

matbp_mutant(jacobian_3 src/matbp/jacobian.hpp
  BUG    "the gradient read from the Jacobian row by rows (unvec transposed)"
  KILLER D6_gradient_layout
  FROM [==[return unvec<T>(colvec<T>(J.row(0).transpose()), rows, cols);]==]
  TO   [==[return matrix<T>(unvec<T>(colvec<T>(J.row(0).transpose()), cols, rows).transpose());]==])

matbp_mutant(jacobian_4 src/matbp/jacobian.hpp
  BUG    "L5's hypothesis checked only above the expensive level, i.e. never (> for >=)"
  KILLER L5_hypothesis_checked
  FROM [==[if (current_contract_level() >= contract_level::expensive) {
        // One-direction dual numbers: value X, derivative dX.]==]
  TO   [==[if (current_contract_level() > contract_level::expensive) {
        // One-direction dual numbers: value X, derivative dX.]==])

# ---- src/matbp/elementary.hpp (D7–D9, L7–L9; tests/elementary_test.cpp) ------------------------

matbp_mutant(elementary_1 src/matbp/elementary.hpp
  BUG    "the squared error without its factor 1/2"
  KILLER D9_squared_error L9_jacobian_of_squared_error
  FROM [==[c(0, 0) = S(mul(e.transpose(), e)(0, 0) / S(2));]==]
  TO   [==[c(0, 0) = S(mul(e.transpose(), e)(0, 0));]==])

matbp_mutant(elementary_2 src/matbp/elementary.hpp
  BUG    "L8.W's Kronecker factors swapped: I ⊗ aᵀ"
  KILLER L8_W_jacobian_wrt_weights_eq_kron
  FROM [==[return kron<T>(at, identity<T>(m));]==]
  TO   [==[return kron<T>(identity<T>(m), at);]==])

matbp_mutant(elementary_4 src/matbp/elementary.hpp
  BUG    "the bias subtracted in the affine potential"
  KILLER D8_affine_potential
  FROM [==[return matrix<S>(mul(W, a) + b);]==]
  TO   [==[return matrix<S>(mul(W, a) - b);]==])

# ---- src/matbp/activation.hpp (D10, D11; tests/activation_test.cpp) ----------------------------

matbp_mutant(activation_1 src/matbp/activation.hpp
  BUG    "ReLU′(0) := 1, the right slope, against D11"
  KILLER D11_kink_conventions
  FROM [==[f.right[0] = false;  // D11: ReLU′(0) := 0, the left slope]==]
  TO   [==[f.right[0] = true;  // D11: ReLU′(0) := 0, the left slope]==])

matbp_mutant(activation_4 src/matbp/activation.hpp
  BUG    "softsign′ = 1/(1+|x|) instead of its square"
  KILLER D10_derivative_matches_ad
  FROM [==[return T(T(1) / T(d * d));]==]
  TO   [==[return T(T(1) / d);]==])

matbp_mutant(activation_5 src/matbp/activation.hpp
  BUG    "the polynomial's derivative without the factor j"
  KILLER D10_derivative_matches_ad
  FROM [==[r = T(r * x + T(j) * f.coefficients[j]);]==]
  TO   [==[r = T(r * x + f.coefficients[j]);]==])

# ---- src/matbp/network.hpp (D12–D14, kinks; tests/network_test.cpp) ---------------------------

matbp_mutant(network_1 src/matbp/network.hpp
  BUG    "the batch forward pass adds the bias to the first sample only"
  KILLER D14_forward_batch_columns_eq_forward
  FROM [==[Z.colwise() += L.b.col(0);]==]
  TO   [==[Z.col(0) += L.b.col(0);]==])

matbp_mutant(network_2 src/matbp/network.hpp
  BUG    "the batch cost drops the last sample (off by one)"
  KILLER D14_batch_cost_reductions
  FROM [==[for (Eigen::Index j = 0; j < A.cols(); ++j) c += sample_cost(ell, matrix<T>(A.col(j)), matrix<T>(Y.col(j)));]==]
  TO   [==[for (Eigen::Index j = 0; j + 1 < A.cols(); ++j) c += sample_cost(ell, matrix<T>(A.col(j)), matrix<T>(Y.col(j)));]==])

matbp_mutant(network_3 src/matbp/network.hpp
  BUG    "a kink recorded at the previous layer's index"
  KILLER D12_forward_records_kinks
  FROM [==[if (is_kink(net.layers[l - 1].f, Z(i, j))) out.push_back({l, j, i});]==]
  TO   [==[if (is_kink(net.layers[l - 1].f, Z(i, j))) out.push_back({l - 1, j, i});]==])

# ---- src/matbp/loss.hpp (D9, L9, C2; tests/loss_test.cpp) --------------------------------------

matbp_mutant(loss_1 src/matbp/loss.hpp
  BUG    "the MSE gradient without its factor 2"
  KILLER L9_loss_gradient_eq_ad L9_gradients_are_pytorchs
  FROM [==[return T(2) * (A - Y);]==]
  TO   [==[return A - Y;]==])

matbp_mutant(loss_2 src/matbp/loss.hpp
  BUG    "the Huber gradient clipped above only"
  KILLER L9_loss_gradient_eq_ad L9_gradients_are_pytorchs
  FROM [==[G(i) = G(i) > d ? d : G(i) < -d ? U(-d) : G(i);]==]
  TO   [==[G(i) = G(i) > d ? d : G(i);]==])

matbp_mutant(loss_3 src/matbp/loss.hpp
  BUG    "the L1 gradient sign(0) := 1, against PyTorch's 0"
  KILLER L9_gradients_are_pytorchs
  FROM [==[G(i) = G(i) > 0 ? T(1) : G(i) < 0 ? T(-1) : T(0);  // PyTorch: sign(0) = 0]==]
  TO   [==[G(i) = G(i) >= 0 ? T(1) : T(-1);  // PyTorch: sign(0) = 0]==])

# ---- src/matbp/induction.hpp (D15, D16, P1, T1; tests/induction_test.cpp) ---------------------

matbp_mutant(induction_1 src/matbp/induction.hpp
  BUG    "D15's recursion takes fˡ⁺¹′ instead of fˡ′ (the wrong layer's derivative)"
  KILLER D15_backpropagated_errors_recursion
  FROM [==[mul(diag_of_derivative(net.layers[l - 1].f, fwd.z[l]), mul(net.layers[l].W.transpose(), delta[l + 1]));]==]
  TO   [==[mul(diag_of_derivative(net.layers[l].f, fwd.z[l]), mul(net.layers[l].W.transpose(), delta[l + 1]));]==])

matbp_mutant(induction_2 src/matbp/induction.hpp
  BUG    "T1.step chains through Wˡ instead of Wˡ⁺¹"
  KILLER T1_step_holds_exactly
  FROM [==[const auto& W_next = net.layers[l].W;]==]
  TO   [==[const auto& W_next = net.layers[l - 1].W;]==])

matbp_mutant(induction_4 src/matbp/induction.hpp
  BUG    "T1.W uses aˡ instead of aˡ⁻¹"
  KILLER T1_W_gradient_eq_delta_times_activation
  FROM [==[    const matrix<T>& a_prev = fwd.a[l - 1];
    // T1.W (i)]==]
  TO   [==[    const matrix<T>& a_prev = fwd.a[l];
    // T1.W (i)]==])

# ---- src/matbp/registry.cpp (the registries' lookups and defaults) -----------------------------

matbp_mutant(registry_1 src/matbp/registry.cpp
  BUG    "an omitted parameter takes 0 instead of its registry default"
  TEST   activation_test
  KILLER D10_registry
  FROM [==[out.push_back(parse_exact(parameters[i].default_text));]==]
  TO   [==[out.push_back(exact(0));]==])

matbp_mutant(registry_2 src/matbp/registry.cpp
  BUG    "find_loss searches the activation registry"
  TEST   loss_test
  KILLER D9_registry
  FROM [==[const function_info* find_loss(std::string_view name) { return find(loss_infos, name); }]==]
  TO   [==[const function_info* find_loss(std::string_view name) { return find(activation_infos, name); }]==])

matbp_mutant(registry_3 src/matbp/registry.cpp
  BUG    "a lookup matches the canonical name only, never an alias"
  TEST   activation_test
  KILLER D10_registry
  FROM [==[if (f->named(name)) return f;]==]
  TO   [==[if (f->name == name) return f;]==])

# ---- src/matbp/json.cpp (the strict reader; tests/json_test.cpp) -------------------------------

matbp_mutant(json_1 src/matbp/json.cpp
  BUG    "nesting refused one level early (>= for >)"
  KILLER nesting_up_to_the_limit
  FROM [==[if (depth + 1 > lim_.max_depth)]==]
  TO   [==[if (depth + 1 >= lim_.max_depth)]==])

matbp_mutant(json_2 src/matbp/json.cpp
  BUG    "UTF-8-encoded surrogates (ED A0–BF) accepted"
  KILLER rejects_invalid_utf8
  FROM [==[if (b0 == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;]==]
  TO   [==[if (b0 == 0xED) return cont(1) && cont(2) ? 3 : 0;]==])

matbp_mutant(json_3 src/matbp/json.cpp
  BUG    "columns count bytes, not code points"
  KILLER positions_are_line_and_code_point_column
  FROM [==[std::size_t column() const { return pos_ - line_start_ - continuation_ + 1; }]==]
  TO   [==[std::size_t column() const { return pos_ - line_start_ + 1; }]==])

matbp_mutant(json_4 src/matbp/json.cpp
  BUG    "a leading zero refused only before another 0"
  KILLER rejects_leading_zero
  FROM [==[if (digit()) fail("leading zeros are not allowed");]==]
  TO   [==[if (!at_end() && peek() == '0') fail("leading zeros are not allowed");]==])

matbp_mutant(json_5 src/matbp/json.cpp
  BUG    "a compact token's column counts every non-ASCII byte, not code points"
  KILLER number_value_locates_a_token
  FROM [==[} else if ((c & 0xC0) == 0x80) {]==]
  TO   [==[} else if (c >= 0x80) {]==])

matbp_mutant(json_6 src/matbp/json.cpp
  BUG    "materialize scans each token's position from the array's start again (lines counted twice)"
  KILLER compact_numbers_same_as_values
  FROM [==[            at.advance(s_, at_pos, t.offset);
            at_pos = t.offset;]==]
  TO   [==[            at.advance(s_, at_pos, t.offset);]==])

matbp_mutant(json_7 src/matbp/json.cpp
  BUG    "the eight-digit scan takes ':' to '?' for digits"
  KILLER digit_runs_end_at_the_first_non_digit
  FROM [==[return (x & high) == threes && ((x + sixes) & high) == threes;]==]
  TO   [==[return (x & high) == threes;]==])

matbp_mutant(json_8 src/matbp/json.cpp
  BUG    "after a non-number, later numbers of the array become tokens again"
  KILLER compact_numbers_same_as_values
  FROM [==[                    compact = false;]==]
  TO   [==[                    compact = true;]==])

# ---- src/matbp/json_writer.cpp (the one writer; tests/json_writer_test.cpp) --------------------

matbp_mutant(json_writer_1 src/matbp/json_writer.cpp
  BUG    "a control character's \\u escape with its two hex digits swapped"
  KILLER strings_escaped_per_rfc8259
  FROM [==[out += std::string("\\u00") + hex[c >> 4] + hex[c & 15];]==]
  TO   [==[out += std::string("\\u00") + hex[c & 15] + hex[c >> 4];]==])

matbp_mutant(json_writer_2 src/matbp/json_writer.cpp
  BUG    "the comma between array elements written before the first instead"
  KILLER writes_every_kind
  FROM [==[    if (!f.empty) out_ += ",";
    if (f.line) {
        if (!f.empty) out_ += ' ';
    } else {
        newline_indent(open_.size());
    }
    f.empty = false;
}]==]
  TO   [==[    if (f.empty) out_ += ",";
    if (f.line) {
        if (!f.empty) out_ += ' ';
    } else {
        newline_indent(open_.size());
    }
    f.empty = false;
}]==])

matbp_mutant(json_writer_3 src/matbp/json_writer.cpp
  BUG    "an object may close with its last key's value missing"
  KILLER refuses_misplaced_tokens
  FROM [==[MATBP_REQUIRE("RFC8259", !open_.empty() && open_.back().object && !open_.back().key_pending);
    const frame f = open_.back();]==]
  TO   [==[MATBP_REQUIRE("RFC8259", !open_.empty() && open_.back().object);
    const frame f = open_.back();]==])

matbp_mutant(json_writer_4 src/matbp/json_writer.cpp
  BUG    "an integer-valued double always written in its plain form"
  KILLER doubles_fewest_digits_not_fewest_characters
  FROM [==[const bool fewer = integer_form && significant_digits(sci, se) < significant_digits(plain, pe);]==]
  TO   [==[const bool fewer = false && integer_form && significant_digits(sci, se) < significant_digits(plain, pe);]==])

matbp_mutant(json_writer_5 src/matbp/json_writer.cpp
  BUG    "a streamed piece is written but not cleared: the sink gets it again with the next"
  KILLER streamed_document_eq_str
  FROM [==[    sink_->write(out_.data(), static_cast<std::streamsize>(out_.size()));
    out_.clear();]==]
  TO   [==[    sink_->write(out_.data(), static_cast<std::streamsize>(out_.size()));]==])

matbp_mutant(json_writer_6 src/matbp/json_writer.cpp
  BUG    "a streamed document ends without its final newline"
  KILLER streamed_document_eq_str streamed_document_flushes_before_it_completes usage_example_of_json_writer_hpp
  FROM [==[            out_ += '\n';
            flush();]==]
  TO   [==[            flush();]==])

# ---- src/matbp/model.hpp, model.cpp (the matbp/1 reader; tests/model_test.cpp) -----------------

matbp_mutant(model_1 src/matbp/model.cpp
  BUG    "\"reduction\": \"sum\" read as mean"
  KILLER reads_a_complete_model
  FROM [==[{"sum", reduction::sum}]==]
  TO   [==[{"sum", reduction::mean}]==])

matbp_mutant(model_2 src/matbp/model.hpp
  BUG    "the reader's default reduction is sum, not mean"
  TEST   model_test
  KILLER reads_a_complete_model
  FROM [==[reduction red = reduction::mean;]==]
  TO   [==[reduction red = reduction::sum;]==])

matbp_mutant(model_4 src/matbp/model.cpp
  BUG    "a model with exactly max_layers layers refused (>= for >)"
  KILLER rejects_over_limits
  FROM [==[if (layers.size() > lim_.max_layers)]==]
  TO   [==[if (layers.size() >= lim_.max_layers)]==])

matbp_mutant(model_5 src/matbp/model.cpp
  BUG    "the fast number path checks the bit budget before adding the number's bits"
  KILLER fast_path_keeps_the_limits
  FROM [==[if (exact_bits_ + beyond > lim_.max_exact_bits) return false;]==]
  TO   [==[if (exact_bits_ > lim_.max_exact_bits) return false;]==])

matbp_mutant(model_6 src/matbp/model.cpp
  BUG    "the fast path's bound on a p/q text's length one digit short"
  KILLER fast_path_keeps_the_limits
  FROM [==[return static_cast<std::size_t>(static_cast<double>(b) * 0.30103) + 2;]==]
  TO   [==[return static_cast<std::size_t>(static_cast<double>(b) * 0.30103);]==])

matbp_mutant(model_7 src/matbp/model.cpp
  BUG    "2^k counted as k bits, not k + 1, in the bit budget"
  KILLER fast_path_keeps_the_limits
  FROM [==[std::size_t den_bits() const { return e < 0 ? static_cast<std::size_t>(-e) + 1 : 1; }]==]
  TO   [==[std::size_t den_bits() const { return e < 0 ? static_cast<std::size_t>(-e) : 1; }]==])

# ---- src/matbp/oracle.cpp, oracle_json.cpp, oracle_text.cpp (tests/oracle_test.cpp) ------------
# oracle.cpp is also being changed for the kink verdict: these snippets are in the ULP section.

matbp_mutant(oracle_1 src/matbp/oracle.cpp
  BUG    "a range's ends rounded inward instead of outward"
  KILLER ulp_distance_to_range_zero_inside
  FROM [==[if (up ? e < q : e > q) d = step(d, up ? INFINITY : -INFINITY, f);]==]
  TO   [==[if (up ? e > q : e < q) d = step(d, up ? INFINITY : -INFINITY, f);]==])

matbp_mutant(oracle_2 src/matbp/oracle.cpp
  BUG    "ULPs counted without the sign: −x and x at distance 0"
  KILLER ulp_distance_counts_representable_values
  FROM [==[        const auto b = static_cast<__int128>(std::bit_cast<std::uint64_t>(d) & 0x7fffffffffffffffULL);
        return std::signbit(d) ? -b : b;]==]
  TO   [==[        const auto b = static_cast<__int128>(std::bit_cast<std::uint64_t>(d) & 0x7fffffffffffffffULL);
        return b;]==])

matbp_mutant(oracle_3 src/matbp/oracle.cpp
  BUG    "a gradient exactly at the tolerance fails (< for <=): a correctly rounded one fails at 0 error"
  KILLER check_passes_correctly_rounded_and_fails_perturbed
  FROM [==[t.pass = t.normwise_rel <= opt.max_rel_or_default()]==]
  TO   [==[t.pass = t.normwise_rel < opt.max_rel_or_default()]==])

matbp_mutant(oracle_4 src/matbp/oracle.cpp
  BUG    "on a dyadic reference T3 fails an entry exactly at its bound"
  TEST   oracle_test
  KILLER dyadic_reference_checks_as_its_rationals
  FROM [==[mpz_cmp(a.backend().data(), tmp.backend().data()) > 0 ||]==]
  TO   [==[mpz_cmp(a.backend().data(), tmp.backend().data()) >= 0 ||]==])

matbp_mutant(oracle_5 src/matbp/oracle.cpp
  BUG    "on a dyadic reference ULPs are counted from its value rounded down, not to nearest"
  TEST   oracle_test
  KILLER dyadic_reference_checks_as_its_rationals
  FROM [==[distance(x, E->rounded(k, 0, single), opt.format)]==]
  TO   [==[distance(x, E->rounded(k, -1, single), opt.format)]==])

matbp_mutant(oracle_6 src/matbp/oracle.cpp
  BUG    "on a dyadic reference with double bounds (the fixed-width route) T3 fails an entry exactly at its bound"
  TEST   oracle_test
  KILLER T3_dyadic_check_at_bound_and_one_ulp_beyond dyadic_reference_checks_as_its_rationals
  FROM [==[compare_scaled(u, nu, e, c, 2, bk.eb) > 0 ||]==]
  TO   [==[compare_scaled(u, nu, e, c, 2, bk.eb) >= 0 ||]==])

matbp_mutant(oracle_7 src/matbp/oracle.cpp
  BUG    "the fixed-width route's merge drops a later range's sum of squared errors (the report depends on the thread count)"
  TEST   oracle_test
  KILLER T3_dyadic_check_at_bound_and_one_ulp_beyond dyadic_reference_checks_as_its_rationals
  FROM [==[        mpn_add_n(into.err2.data(), into.err2.data(), next.err2.data(), static_cast<mp_size_t>(into.err2.size()));]==]
  TO   [==[        (void)0;]==])

matbp_mutant(oracle_8 src/matbp/oracle.cpp
  BUG    "near kinks replace the one convention's values with the conventional ones, exact kinks too"
  TEST   oracle_test
  KILLER T3_near_kinks_keep_the_one_convention
  FROM [==[            if (ref.kinks.empty()) t.one = lo;]==]
  TO   [==[            t.one = lo;]==])

matbp_mutant(oracle_json_1 src/matbp/oracle_json.cpp
  BUG    "a kink's layer written 1-based in a document whose layers are 0-based"
  TEST   oracle_test
  KILLER to_json_gradients_valid_beyond_double_range
  FROM [==[.integer(index(k.layer - 1))]==]
  TO   [==[.integer(index(k.layer))]==])

matbp_mutant(oracle_json_2 src/matbp/oracle_json.cpp
  BUG    "a value beyond the double range written as a string but not counted"
  TEST   oracle_test
  KILLER to_json_gradients_valid_beyond_double_range dyadic_reference_writes_as_its_rationals
  FROM [==[        if (out_of_range) ++*out_of_range;]==]
  TO   [==[        if (out_of_range) *out_of_range += 0;]==])

matbp_mutant(oracle_json_3 src/matbp/oracle_json.cpp
  BUG    "an interval's lower end rounded up (inward) when written as a double"
  TEST   oracle_test
  KILLER to_json_gradients_valid_beyond_double_range
  FROM [==[write_value(w, lo, f, -1, n);]==]
  TO   [==[write_value(w, lo, f, 1, n);]==])

matbp_mutant(oracle_json_4 src/matbp/oracle_json.cpp
  BUG    "a dyadic value written as a double rounded up, not to nearest"
  TEST   oracle_test
  KILLER dyadic_reference_writes_as_its_rationals
  FROM [==[const double r = E.rounded(k, 0);]==]
  TO   [==[const double r = E.rounded(k, 1);]==])

matbp_mutant(oracle_text_1 src/matbp/oracle_text.cpp
  BUG    "the kink line printed only for two kinks or more (off by one)"
  TEST   oracle_test
  KILLER to_text_is_the_check_table
  FROM [==[if (rep.kinks != 0)]==]
  TO   [==[if (rep.kinks > 1)]==])

matbp_mutant(oracle_text_2 src/matbp/oracle_text.cpp
  BUG    "certified and not certified swapped in the header"
  TEST   oracle_test
  KILLER to_text_is_the_check_table
  FROM [==[(rep.arith.certified() ? " (certified)" : " (not certified)")]==]
  TO   [==[(!rep.arith.certified() ? " (certified)" : " (not certified)")]==])

matbp_mutant(oracle_text_3 src/matbp/oracle_text.cpp
  BUG    "each tensor's row shows the report's verdict, not its own"
  TEST   oracle_test
  KILLER to_text_is_the_check_table
  FROM [==[<< (t.pass ? "pass" : "FAIL") << (t.beyond_bound]==]
  TO   [==[<< (rep.pass ? "pass" : "FAIL") << (t.beyond_bound]==])

matbp_mutant(verdict_1 src/matbp/oracle.cpp
  BUG    "T3's verdict allows twice the bound"
  TEST   oracle_test
  KILLER T3_verdict_passes_within_bound_fails_beyond
  FROM [==[const bool beyond = d > b || (opt.max_ulps && ulps > *opt.max_ulps);]==]
  TO   [==[const bool beyond = d > 2 * b || (opt.max_ulps && ulps > *opt.max_ulps);]==])

matbp_mutant(verdict_2 src/matbp/oracle.cpp
  BUG    "a near-kink unit keeps its point derivative in the extended enclosure (T3 (ii))"
  TEST   oracle_test
  KILLER T3_near_kink_false_alarm_fixed
  FROM [==[    if (near && c == kink_choice::clarke && !points.empty()) {]==]
  TO   [==[    if (false && near && c == kink_choice::clarke && !points.empty()) {]==])

matbp_mutant(verdict_3 src/matbp/rounding_bound.cpp
  BUG    "T3.near: the hull's magnitude not used for a near-kink unit's derivative"
  TEST   rounding_bound_test
  KILLER T3_emulated_near_kinks_within_extended_enclosure
  FROM [==[            D[l](r.near_kinks[q].unit, r.near_kinks[q].sample) = slope_hull(L.f);]==]
  TO   [==[            (void)0;]==])

matbp_mutant(verdict_4 src/matbp/oracle.cpp
  BUG    "T3's requirement not checked on a bound held as doubles: a negative entry accepted"
  TEST   oracle_test
  KILLER T3_bound_as_doubles_same_report_as_rationals
  FROM [==[if (const matrix<double>* d = b.doubles()) return (d->array() >= 0).all();]==]
  TO   [==[if (const matrix<double>* d = b.doubles()) return d->size() >= 0;]==])

# ---- src/matbp/rounding_bound_fast.cpp (L12, judged by tests/rounding_bound_test.cpp) --------

matbp_mutant(fast_bound_1 src/matbp/rounding_bound_fast.cpp
  BUG    "L12 (ii): the BLAS product not inflated by 1 + γ_N"
  TEST   rounding_bound_test
  KILLER L12_product_upper_bound_ge_exact_product
  FROM [==[    const double c = one_plus_gamma(N);]==]
  TO   [==[    const double c = 1.0;]==])

matbp_mutant(fast_bound_2 src/matbp/rounding_bound_fast.cpp
  BUG    "L12 (ii): the underflow term N·2⁻¹⁰⁷⁴ left out"
  TEST   rounding_bound_test
  KILLER L12_product_upper_bound_ge_exact_product
  FROM [==[    const double eta = std::ldexp(static_cast<double>(N), -1074);]==]
  TO   [==[    const double eta = 0.0;]==])

matbp_mutant(fast_bound_3 src/matbp/rounding_bound_fast.cpp
  BUG    "L12 (vi): the near-kink test without e_z (only the enclosure's radius of z)"
  TEST   rounding_bound_test
  KILLER L12_near_kinks_reported_by_fast_bound L12_fast_bound_ge_mpfi_and_as_tight
  FROM [==[near = near || abs_down(zm - kp.mid) <= add_up(add_up(w, f.slack), kp.rad);]==]
  TO   [==[near = near || abs_down(zm - kp.mid) <= add_up(add_up(zr, f.slack), kp.rad);]==])

matbp_mutant(fast_bound_4 src/matbp/rounding_bound_fast.cpp
  BUG    "L12: the bound's products on the caller's OpenBLAS threads (last bits vary with the count)"
  TEST   rounding_bound_test
  KILLER L12_fast_bound_independent_of_blas_threads
  FROM [==[    const blas_thread_scope one_thread(1);]==]
  TO   [==[    (void)0;]==])

# ---- src/cli/main.cpp (the command line; judged by tests/cli_test.py, TEST matbp_cli) ----------
# main.cpp is also being changed for the kink verdict: these snippets are in option handling and
# the check's exit code.

matbp_mutant(cli_main_1 src/cli/main.cpp
  BUG    "check exits 0 on a failed check"
  TEST   matbp_cli
  KILLER check_fails_perturbed
  FROM [==[return rep.pass ? cli::success : cli::check_failed;]==]
  TO   [==[return cli::success;]==])

matbp_mutant(cli_main_2 src/cli/main.cpp
  BUG    "grad's --values test inverted: by default doubles, with --values double exact strings"
  TEST   matbp_cli
  KILLER grad_exact_is_json
  FROM [==[if (values == "double") jo.values = json_options::value_format::float64;]==]
  TO   [==[if (values == "exact") jo.values = json_options::value_format::float64;]==])

matbp_mutant(cli_main_3 src/cli/main.cpp
  BUG    "a whole-number option refuses its least allowed value (<= for <)"
  TEST   matbp_cli
  KILLER threads_same_result
  FROM [==[if (n < lo || n > hi) throw usage_error]==]
  TO   [==[if (n <= lo || n > hi) throw usage_error]==])

matbp_mutant(cli_main_5 src/cli/main.cpp
  BUG    "standard output is not checked before exit: a write to a full disk ends in success"
  TEST   matbp_cli
  KILLER output_full_exit_3_grad
  FROM [==[if (!(std::cout << std::flush)) throw cli::output_error("standard output");]==]
  TO   [==[std::cout << std::flush;]==])

# ---- src/matbp/equation.hpp (same_matrix: every step's comparison; tests/kron_test.cpp) ---------

matbp_mutant(equation_1 src/matbp/equation.hpp
  BUG    "same_matrix skips the last row (off by one): two sides differing there compare equal"
  TEST   kron_test
  KILLER usage_example_of_equation_hpp
  FROM [==[for (Eigen::Index i = 0; i < a.rows(); ++i)
            if (!(a(i, j) == b(i, j))) return false;]==]
  TO   [==[for (Eigen::Index i = 0; i + 1 < a.rows(); ++i)
            if (!(a(i, j) == b(i, j))) return false;]==])

# ---- src/matbp/shard.cpp (C4, sample shards; tests/shard_test.cpp) ------------------------------

matbp_mutant(shard_1 src/matbp/shard.cpp
  BUG    "a range's kinks keep their local sample numbers (C4 (ii) without the renumbering)"
  KILLER C4_combined_shards_eq_unsharded
  FROM [==[for (auto& k : p.sums.kinks) k.sample += begin;]==]
  TO   [==[for (auto& k : p.sums.kinks) k.sample += 0 * begin;]==])

matbp_mutant(shard_2 src/matbp/shard.cpp
  BUG    "the mean taken over the first part's samples instead of the whole batch's"
  KILLER C4_combined_shards_eq_unsharded
  FROM [==[const exact rho = reduction_scale<exact>(*ell, r.red, first.count, m);]==]
  TO   [==[const exact rho = reduction_scale<exact>(*ell, r.red, first.end - first.begin, m);]==])

matbp_mutant(shard_3 src/matbp/shard.cpp
  BUG    "a range without kinks adds 0 to the Clarke lower bounds instead of its value"
  KILLER C4_combined_shards_eq_unsharded
  FROM [==[lo(i, j) += enc ? t.clarke_lo(i, j) : v(i, j);]==]
  TO   [==[lo(i, j) += enc ? t.clarke_lo(i, j) : exact(0);]==])

matbp_mutant(shard_4 src/matbp/shard.cpp
  BUG    "a gap between ranges goes unnoticed"
  KILLER C4_combine_refuses_bad_part_sets
  FROM [==[if (p->begin > covered)]==]
  TO   [==[if (p->begin > covered && p == order.front())]==])

matbp_mutant(shard_5 src/matbp/shard.cpp
  BUG    "kink-dependence flags taken from the last range only, not ORed"
  KILLER C4_combined_shards_eq_unsharded
  FROM [==[dependent[f] = dependent[f] || t.kink_dependent[f];]==]
  TO   [==[dependent[f] = t.kink_dependent[f];]==])

matbp_mutant(shard_6 src/matbp/shard.cpp
  BUG    "the kinks of the ranges concatenated, not put in C1's order"
  KILLER C4_combined_shards_eq_unsharded
  FROM [==[return kink_key(a) < kink_key(b); });]==]
  TO   [==[return a.sample < b.sample && false; });]==])

matbp_mutant(shard_7 src/matbp/shard.cpp
  BUG    "the fingerprint leaves out the inputs: parts of models with other data combine"
  KILLER model_fingerprint_identifies_the_content C4_combine_refuses_bad_part_sets
  FROM [==[s.values(m.inputs);]==]
  TO   [==[s.values(m.targets);]==])

matbp_mutant(shard_8 src/matbp/shard.cpp
  BUG    "SHA-256's Σ1 rotates by 24 instead of 25"
  KILLER sha256_known_answers
  FROM [==[(rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25))]==]
  TO   [==[(rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 24))]==])

matbp_mutant(shard_9 src/matbp/shard.cpp
  BUG    "read_partial takes an enclosure that does not hold its value"
  KILLER C4_read_partial_rejects_malformed
  FROM [==[if (!(T.clarke_lo(i, j) <= T.lo(i, j) && T.lo(i, j) <= T.clarke_hi(i, j) &&]==]
  TO   [==[if (!(true &&]==])

matbp_mutant(shard_10 src/matbp/shard.cpp
  BUG    "the whole batch's engine is the range's: a batch with one non-dyadic target named dyadic"
  KILLER C4_combine_refuses_bad_part_sets C4_random_splits_of_larger_float64_nets usage_example_of_shard_hpp
  FROM [==[p.sums.engine = exact_fast_path_applies(model) ? "dyadic" : "rational";]==]
  TO   [==[p.sums.engine = p.range_engine;]==])

matbp_mutant(shard_11 src/matbp/shard.cpp
  BUG    "a double's fingerprint bytes drop the bits below a byte boundary of its exponent"
  KILLER model_fingerprint_of_doubles_eq_of_their_rationals
  FROM [==[const std::uint64_t top = m << (k % 8);  // < 2⁶¹]==]
  TO   [==[const std::uint64_t top = m;]==])

matbp_mutant(shard_12 src/matbp/shard.cpp
  BUG    "a double's fingerprint reads −0 as negative: the sign byte of its rational 0 differs"
  KILLER model_fingerprint_of_doubles_eq_of_their_rationals
  FROM [==[const unsigned char sign = p.odd == 0 ? 1 : p.negative ? 0 : 2;]==]
  TO   [==[const unsigned char sign = p.negative ? 0 : p.odd == 0 ? 1 : 2;]==])

matbp_mutant(shard_13 src/matbp/shard.cpp
  BUG    "a part whose bias is not a point is written, with {lower, upper} objects where one value belongs"
  KILLER C4_preconditions
  FROM [==[MATBP_REQUIRE("C4", s.weights[l].lo == s.weights[l].hi && s.bias[l].lo == s.bias[l].hi);]==]
  TO   [==[MATBP_REQUIRE("C4", s.weights[l].lo == s.weights[l].hi);]==])

matbp_mutant(cli_main_4 src/cli/main.cpp
  BUG    "--samples accepts B one past the last sample"
  TEST   matbp_cli
  KILLER bad_input_shards_samples_past_end
  FROM [==[if (B > n) throw bad("B is past the last sample");]==]
  TO   [==[if (B > n + 1) throw bad("B is past the last sample");]==])
