(* matbp: the calculus of spec/calculus.md in Coq (D5, D7, D8, D9, L5-L9).
   The derivative is mathcomp-analysis's Frechet differential 'd f x. *)
From mathcomp Require Import all_ssreflect ssralg ssrnum matrix.
From mathcomp Require Import boolp classical_sets functions.
From mathcomp Require Import reals topology normedtype derive.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.
Import GRing.Theory Num.Theory numFieldNormedType.Exports.
Local Open Scope ring_scope.

Section Calculus.
Variable R : realType.

(* Helpers: differentials of finite sums and of linear maps between matrix spaces. *)

Lemma diff_sum (V W : normedModType R) n (f : 'I_n -> V -> W) (x : V) :
  (forall i, differentiable (f i) x) ->
  'd (\sum_(i < n) f i) x = \sum_(i < n) ('d (f i) x : V -> W) :> (V -> W).
Proof.
elim: n f => [f _|n IH f H]; first by rewrite !big_ord0 diff_cst.
rewrite !big_ord_recr /= diffD; first by rewrite IH.
  by apply: differentiable_sum.
exact: H.
Qed.

(* A linear map out of a matrix space is continuous: it is a finite sum of
   coordinates times fixed vectors, and coordinates are continuous. *)
Lemma mx_lin_continuous m n (W : normedModType R)
  (f : {linear 'M[R]_(m.+1, n.+1) -> W}) : continuous f.
Proof.
have fE : (f : _ -> W) = \sum_(i < m.+1) \sum_(j < n.+1)
    (fun N : 'M[R]_(m.+1, n.+1) => N i j *: f (delta_mx i j)).
  apply/funext => N; rewrite {1}(matrix_sum_delta N) linear_sum fct_sumE.
  by apply: eq_bigr => i _; rewrite linear_sum fct_sumE; apply: eq_bigr => j _;
    rewrite linearZ.
move=> x; rewrite fE; apply: differentiable_continuous.
apply: differentiable_sum => i; apply: differentiable_sum => j.
by apply: differentiableZl; apply: differentiable_coord.
Qed.

Lemma mx_lin_diff m n (W : normedModType R)
  (f : {linear 'M[R]_(m.+1, n.+1) -> W}) x :
  differentiable f x /\ 'd f x = f :> (_ -> W).
Proof.
split; first exact/linear_differentiable/mx_lin_continuous.
exact/diff_lin/mx_lin_continuous.
Qed.

Lemma diff_coord m n (M : 'M[R]_(m.+1, n.+1)) i j :
  'd (fun N : 'M[R]_(m.+1, n.+1) => N i j) M = (fun N => N i j) :> (_ -> R).
Proof.
have @g : {linear 'M[R]_(m.+1, n.+1) -> R}.
  by exists (fun N : 'M[R]_(_, _) => N i j); eexists; move=> ? ?; rewrite !mxE.
by rewrite (_ : (fun _ => _) = g) //; case: (mx_lin_diff g M).
Qed.

(* D5 diag of a column, D7 elementwise map, D8 affine potential,
   D9 squared error. *)
Definition diagc n (v : 'cV[R]_n) : 'M[R]_n := diag_mx v^T.
Definition emap (g : R -> R) m n (Z : 'M[R]_(m, n)) : 'M[R]_(m, n) := map_mx g Z.
Definition potential m n (W : 'M[R]_(m, n)) (a : 'cV[R]_n) (b : 'cV[R]_m) :
  'cV[R]_m := W *m a + b.
Definition sqerr n (y a : 'cV[R]_n) : R := 2^-1 * \sum_(i < n) (a i ord0 - y i ord0) ^+ 2.

(* The pairing <G, H> = tr(G^T H) = sum_ij G_ij H_ij: a gradient G represents
   the differential H |-> <G, H>. *)
Definition frob m n (G H : 'M[R]_(m, n)) : R := \tr (G^T *m H).

Lemma frobE m n (G H : 'M[R]_(m, n)) :
  frob G H = \sum_(i < m) \sum_(j < n) G i j * H i j.
Proof.
rewrite /frob /mxtrace exchange_big /=; apply: eq_bigr => j _.
by rewrite !mxE; apply: eq_bigr => i _; rewrite mxE.
Qed.

Lemma frob_delta m n (G : 'M[R]_(m, n)) i j : frob G (delta_mx i j) = G i j.
Proof.
rewrite frobE (bigD1 i) //= (bigD1 j) //= !mxE !eqxx mulr1 big1 ?addr0.
  rewrite big1 ?addr0 // => i' /negPf ne; rewrite big1 // => j' _.
  by rewrite mxE ne mulr0.
by move=> j' /negPf ne; rewrite mxE eqxx ne mulr0.
Qed.

Lemma frob_mull m n p (G : 'M[R]_(m, p)) (A : 'M[R]_(m, n)) (H : 'M[R]_(n, p)) :
  frob G (A *m H) = frob (A^T *m G) H.
Proof. by rewrite /frob trmx_mul trmxK mulmxA. Qed.

Lemma frob_mulr m n p (G : 'M[R]_(m, p)) (H : 'M[R]_(m, n)) (a : 'M[R]_(n, p)) :
  frob G (H *m a) = frob (G *m a^T) H.
Proof. by rewrite /frob trmx_mul trmxK -mulmxA [RHS]mxtrace_mulC mulmxA. Qed.

(* The gradient of a scalar map of a matrix: entry (i, j) is the differential
   in the direction of the unit matrix E_ij (D6, transposed). *)
Definition grad m n (F : 'M[R]_(m.+1, n.+1) -> R) (X : 'M[R]_(m.+1, n.+1)) :
  'M[R]_(m.+1, n.+1) := \matrix_(i, j) 'd F X (delta_mx i j).

(* L5, first identification theorem, gradient form: if the differential is
   H |-> <G, H>, the gradient is G; and a differentiable map's differential is
   H |-> <grad F X, H>. *)
Lemma L5_identification m n (F : 'M[R]_(m.+1, n.+1) -> R) X G :
  'd F X = frob G :> (_ -> R) -> grad F X = G.
Proof. by move=> dF; apply/matrixP => i j; rewrite mxE dF frob_delta. Qed.

Lemma L5_differential m n (F : 'M[R]_(m.+1, n.+1) -> R) X :
  'd F X = frob (grad F X) :> (_ -> R).
Proof.
apply/funext => H; rewrite {1}(matrix_sum_delta H) linear_sum frobE.
apply: eq_bigr => i _; rewrite linear_sum; apply: eq_bigr => j _.
by rewrite linearZ mxE mulrC.
Qed.

(* L6, chain rule. *)
Lemma L6_chain_rule (U V W : normedModType R) (F : U -> V) (G : V -> W) X :
  differentiable F X -> differentiable G (F X) ->
  differentiable (G \o F) X /\ 'd (G \o F) X = 'd G (F X) \o 'd F X :> (U -> W).
Proof. by move=> dF dG; split; [exact: differentiable_comp|exact: diff_comp]. Qed.

(* L7: the elementwise map has differential h |-> diag(g'(z)) h. *)
Lemma L7_elementwise_diag n (g : R -> R) (z : 'cV[R]_n.+1) :
  (forall i, differentiable g (z i ord0)) ->
  differentiable (@emap g n.+1 1) z /\
  'd (@emap g n.+1 1) z = (fun h => diagc (emap g^`() z) *m h) :> (_ -> _).
Proof.
move=> dg.
have eE : @emap g n.+1 1 = \sum_(i < n.+1)
    (fun v : 'cV[R]_n.+1 => (g \o (fun w : 'cV[R]_n.+1 => w i ord0)) v *: delta_mx i ord0).
  apply/funext => v; rewrite fct_sumE; apply/matrixP => r c.
  rewrite (ord1 c) !mxE summxE (bigD1 r) //= big1 ?addr0.
    by rewrite !mxE !eqxx mulr1.
  by move=> i /negPf ne; rewrite !mxE eq_sym ne mulr0.
have dcomp i : differentiable (g \o (fun w : 'cV[R]_n.+1 => w i ord0)) z.
  by apply: differentiable_comp; [exact: differentiable_coord|exact: dg].
rewrite eE; split.
  by apply: differentiable_sum => i; apply: differentiableZl.
rewrite diff_sum; last by move=> i; apply: differentiableZl.
apply/funext => h; rewrite fct_sumE; apply/matrixP => r c.
rewrite (ord1 c) summxE (bigD1 r) //= big1 ?addr0.
  rewrite diffZl; last exact: dcomp.
  rewrite (diff_comp (differentiable_coord z r ord0) (dg r)) /= diff_coord.
  rewrite diff1E // /diagc mul_diag_mx !mxE !eqxx mulr1 /=.
  by rewrite /GRing.scale /= mulrC.
move=> i /negPf ne; rewrite diffZl; last exact: dcomp.
by rewrite !mxE [r == i]eq_sym ne mulr0.
Qed.

(* L8: the differentials of the affine potential in W, a and b. *)
Section L8.
Variables (m n : nat) (W : 'M[R]_(m.+1, n.+1)) (a : 'cV[R]_n.+1) (b : 'cV[R]_m.+1).

Let potW_sum : (fun V => potential V a b) = mulmxr a + cst b.
Proof. by apply/funext. Qed.
Let potW_lin : differentiable (mulmxr a) W.
Proof. exact: (proj1 (mx_lin_diff [linear of mulmxr a] W)). Qed.
Let potW_cst : differentiable (cst b : 'M[R]_(m.+1, n.+1) -> 'cV[R]_m.+1) W.
Proof. exact: differentiable_cst. Qed.
Let dW_lin : 'd (mulmxr a) W = mulmxr a :> ('M[R]_(m.+1, n.+1) -> 'cV[R]_m.+1).
Proof. exact: (proj2 (mx_lin_diff [linear of mulmxr a] W)). Qed.
Let dW_cst : 'd (cst b) W = 0 :> ('M[R]_(m.+1, n.+1) -> 'cV[R]_m.+1).
Proof. exact: diff_cst. Qed.
Let potW_diff : differentiable (mulmxr a + cst b) W.
Proof. exact: differentiableD potW_lin potW_cst. Qed.

Lemma L8_W :
  differentiable (fun V => potential V a b) W /\
  'd (fun V => potential V a b) W = (fun H => H *m a)
    :> ('M[R]_(m.+1, n.+1) -> 'cV[R]_m.+1).
Proof.
rewrite potW_sum; split; first exact: potW_diff.
rewrite (diffD potW_lin potW_cst).
apply/funext => H.
have e1 : 'd (mulmxr a) W H = H *m a by exact: (congr1 (fun g => g H) dW_lin).
have e2 : 'd (cst b) W H = 0 :> 'cV[R]_m.+1.
  exact: (congr1 (fun g => g H) dW_cst).
exact: (etrans (congr2 +%R e1 e2) (addr0 _)).
Qed.

Let pota_sum : (fun v => potential W v b) = mulmx W + cst b.
Proof. by apply/funext. Qed.
Let pota_lin : differentiable (mulmx W) a.
Proof. exact: (proj1 (mx_lin_diff [linear of mulmx W] a)). Qed.
Let pota_cst : differentiable (cst b : 'cV[R]_n.+1 -> 'cV[R]_m.+1) a.
Proof. exact: differentiable_cst. Qed.
Let da_lin : 'd (mulmx W) a = mulmx W :> ('cV[R]_n.+1 -> 'cV[R]_m.+1).
Proof. exact: (proj2 (mx_lin_diff [linear of mulmx W] a)). Qed.
Let da_cst : 'd (cst b) a = 0 :> ('cV[R]_n.+1 -> 'cV[R]_m.+1).
Proof. exact: diff_cst. Qed.
Let pota_diff : differentiable (mulmx W + cst b) a.
Proof. exact: differentiableD pota_lin pota_cst. Qed.

Lemma L8_a :
  differentiable (fun v => potential W v b) a /\
  'd (fun v => potential W v b) a = (fun h => W *m h)
    :> ('cV[R]_n.+1 -> 'cV[R]_m.+1).
Proof.
rewrite pota_sum; split; first exact: pota_diff.
rewrite (diffD pota_lin pota_cst).
apply/funext => h.
have e1 : 'd (mulmx W) a h = W *m h by exact: (congr1 (fun g => g h) da_lin).
have e2 : 'd (cst b) a h = 0 :> 'cV[R]_m.+1.
  exact: (congr1 (fun g => g h) da_cst).
exact: (etrans (congr2 +%R e1 e2) (addr0 _)).
Qed.

Let potb_sum : (fun c => potential W a c) = cst (W *m a) + idfun.
Proof. by apply/funext. Qed.
Let potb_lin : differentiable (@idfun 'cV[R]_m.+1) b.
Proof. exact: (proj1 (mx_lin_diff [linear of @idfun 'cV[R]_m.+1] b)). Qed.
Let potb_cst : differentiable (cst (W *m a) : 'cV[R]_m.+1 -> 'cV[R]_m.+1) b.
Proof. exact: differentiable_cst. Qed.
Let db_lin : 'd (@idfun 'cV[R]_m.+1) b = idfun :> ('cV[R]_m.+1 -> 'cV[R]_m.+1).
Proof. exact: (proj2 (mx_lin_diff [linear of @idfun 'cV[R]_m.+1] b)). Qed.
Let db_cst : 'd (cst (W *m a)) b = 0 :> ('cV[R]_m.+1 -> 'cV[R]_m.+1).
Proof. exact: diff_cst. Qed.
Let potb_diff : differentiable (cst (W *m a) + idfun) b.
Proof. exact: differentiableD potb_cst potb_lin. Qed.

Lemma L8_b :
  differentiable (fun c => potential W a c) b /\
  'd (fun c => potential W a c) b = id :> ('cV[R]_m.+1 -> 'cV[R]_m.+1).
Proof.
rewrite potb_sum; split; first exact: potb_diff.
rewrite (diffD potb_cst potb_lin).
apply/funext => h.
have e1 : 'd (@idfun 'cV[R]_m.+1) b h = h by exact: (congr1 (fun g => g h) db_lin).
have e2 : 'd (cst (W *m a)) b h = 0 :> 'cV[R]_m.+1.
  exact: (congr1 (fun g => g h) db_cst).
exact: (etrans (congr2 +%R e2 e1) (add0r _)).
Qed.
End L8.

End Calculus.

(* L9: the squared error (D9) has differential h |-> <a - y, h>, so its gradient
   is a - y. *)
Section L9.
Variables (R : realType) (n : nat) (y : 'cV[R]_n.+1).

Let g (i : 'I_n.+1) : 'cV[R]_n.+1 -> R := fun a => a i ord0 - y i ord0.

Let g_split i : g i = (fun a : 'cV[R]_n.+1 => a i ord0) - cst (y i ord0).
Proof. by apply/funext. Qed.

Let dcoord (a : 'cV[R]_n.+1) i : differentiable (fun b : 'cV[R]_n.+1 => b i ord0) a.
Proof. exact: differentiable_coord. Qed.

Let dcst (a : 'cV[R]_n.+1) i : differentiable (cst (y i ord0) : 'cV[R]_n.+1 -> R) a.
Proof. exact: differentiable_cst. Qed.

Let dg (a : 'cV[R]_n.+1) i : differentiable (g i) a.
Proof. by rewrite g_split; apply: differentiableB. Qed.

Let dgE (a : 'cV[R]_n.+1) i v : 'd (g i) a v = v i ord0.
Proof.
rewrite g_split.
apply: (etrans (congr1 (fun F => F v) (diffB (dcoord a i) (dcst a i)))) => /=.
have e1 := congr1 (fun F => F v) (diff_coord a i ord0); simpl in e1.
have e2 : 'd (cst (y i ord0) : 'cV[R]_n.+1 -> R) a v = 0.
  exact: (congr1 (fun F => F v) (diff_cst _ _)).
exact: (etrans (congr2 (fun s t => s - t) e1 e2) (subr0 _)).
Qed.

Let sq_split : sqerr y = 2^-1 \*: \sum_(i < n.+1) (g i * g i).
Proof.
apply/funext => a; rewrite /sqerr /= fct_sumE.
by congr (_ * _); apply: eq_bigr => i _; rewrite /= expr2 !mxE.
Qed.

Let dsq (a : 'cV[R]_n.+1) i : differentiable (g i * g i) a.
Proof. exact: differentiableM. Qed.

Lemma L9_squared_error (a : 'cV[R]_n.+1) :
  differentiable (sqerr y) a /\ 'd (sqerr y) a = frob (a - y) :> (_ -> R).
Proof.
have ds : differentiable (\sum_(i < n.+1) (g i * g i)) a.
  by apply: differentiable_sum => i; apply: dsq.
rewrite sq_split; split; first exact: differentiableZ.
apply/funext => v.
apply: (etrans (congr1 (fun F => F v) (diffZ _ ds))) => /=.
apply: (etrans (congr1 (fun F => 2^-1 *: F v) (diff_sum (fun i => dsq a i)))) => /=.
transitivity (2^-1 * \sum_(i < n.+1) 'd (g i * g i) a v).
  by rewrite fct_sumE.
transitivity (2^-1 * \sum_(i < n.+1) (g i a * v i ord0 + g i a * v i ord0)).
  congr (_ * _); apply: eq_bigr => i _.
  apply: (etrans (congr1 (fun F => F v) (diffM (dg a i) (dg a i)))) => /=.
  have e := congr1 (fun t => g i a * t) (dgE a i v).
  exact: (congr2 +%R e e).
rewrite frobE mulr_sumr; apply: eq_bigr => i _.
rewrite big_ord_recl big_ord0 addr0 !mxE.
have half (c : R) : 2^-1 * (c + c) = c.
  by rewrite -mulr2n -[c *+ 2]mulr_natl mulrA mulVf ?mul1r // pnatr_eq0.
exact: half.
Qed.

Lemma L9_gradient (a : 'cV[R]_n.+1) : grad (sqerr y) a = a - y.
Proof. exact/L5_identification/(proj2 (L9_squared_error a)). Qed.
End L9.
