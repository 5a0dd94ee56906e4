(* matbp: the accumulator-width bound of C1.dyadic (spec/theorem.md), over nat.
   If every |P_ij| < 2^p and every |Q_ij| < 2^q, an entry of P^T Q is a sum of n
   products each at most (2^p - 1)(2^q - 1) in magnitude; this bounds the sum. *)
From mathcomp Require Import all_ssreflect.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

(* n <= 2^(ceil(log2 n)), with mathcomp's up_log 2 n = ceil(log2 n) for n >= 1. *)
Lemma le_exp_up_log n : n <= 2 ^ up_log 2 n.
Proof.
case: (ltnP 1 n) => [n1|n1]; first by case/andP: (up_log_bounds (ltnSn 1) n1).
have /eqP -> : up_log 2 n == 0 by rewrite up_log_eq0 n1 orbT.
by rewrite expn0.
Qed.

Lemma C1_dyadic_width n p q :
  n * (2 ^ p).-1 * (2 ^ q).-1 < 2 ^ (p + q + up_log 2 n).
Proof.
case: n => [|n]; first by rewrite !mul0n expn_gt0.
have p0 : 0 < 2 ^ p by rewrite expn_gt0.
have q0 : 0 < 2 ^ q by rewrite expn_gt0.
apply: (@leq_ltn_trans (n.+1 * (2 ^ p).-1 * 2 ^ q)).
  by apply: leq_mul => //; apply: leq_pred.
apply: (@leq_trans (n.+1 * 2 ^ p * 2 ^ q)).
  by rewrite ltn_pmul2r // ltn_pmul2l // ltn_predL.
have -> : 2 ^ (p + q + up_log 2 n.+1) = 2 ^ up_log 2 n.+1 * (2 ^ p * 2 ^ q).
  by rewrite -!expnD addnC.
by rewrite -mulnA; apply: leq_mul => //; apply: le_exp_up_log.
Qed.
