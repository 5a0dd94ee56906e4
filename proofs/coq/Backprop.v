(* matbp: the network of spec/network.md (D12-D16) and the backpropagation
   theorem T1 of spec/theorem.md, proved by downward induction over the
   layers with mathcomp-analysis's differential 'd. *)
From mathcomp Require Import all_ssreflect ssralg ssrnum matrix.
From mathcomp Require Import boolp classical_sets functions.
From mathcomp Require Import reals topology normedtype derive.
From Matbp Require Import Calculus.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.
Import GRing.Theory Num.Theory numFieldNormedType.Exports.
Local Open Scope ring_scope.

(* Replace entry l of a dependent family by V. *)
Definition upd (T : nat -> Type) (F : forall i, T i) (l : nat) (V : T l) :
    forall i, T i :=
  fun i => match @eqP _ l i with
           | ReflectT e => ecast i (T i) e V
           | ReflectF _ => F i
           end.

Lemma upd_eq T F l V : @upd T F l V l = V.
Proof.
rewrite /upd; case: eqP => [e|]; last by [].
by rewrite (eq_axiomK e).
Qed.

Lemma upd_neq T F l V i : l != i -> @upd T F l V i = F i.
Proof. by rewrite /upd; case: eqP => // ->; rewrite eqxx. Qed.

Section Network.
Unset Implicit Arguments.
Variable R : realType.
(* Widths: layer l has (m l).+1 units (every width is at least 1, D12). *)
Variable m : nat -> nat.
(* The activation f l of layer l (D10; any map R -> R). *)
Variable f : nat -> R -> R.
(* The loss: L l is applied to the output of the last layer when the network
   has depth l (only L k enters the statements about a network of depth k). *)
Variable L : forall l, 'cV[R]_(m l).+1 -> R.
(* The input x (a^0). *)
Variable x : 'cV[R]_(m 0).+1.

Definition Wty l := 'M[R]_((m l).+1, (m l.-1).+1).
Definition bty l := 'cV[R]_(m l).+1.

(* D12, forward pass: a^0 = x, a^l = f^l(W^l a^(l-1) + b^l). *)
Fixpoint act (W : forall l, Wty l) (b : forall l, bty l) l : 'cV[R]_(m l).+1 :=
  match l return 'cV[R]_(m l).+1 with
  | 0 => x
  | l'.+1 => emap (f l'.+1) (potential (W l'.+1) (act W b l') (b l'.+1))
  end.

(* z^l = W^l a^(l-1) + b^l (D8). *)
Definition pot W b l : 'cV[R]_(m l).+1 := potential (W l) (act W b l.-1) (b l).

(* D13: the cost of a network of depth k. *)
Definition cost W b k := L k (act W b k).

(* D16: c~_l for a network of depth l + j, the cost as a function of z^l. *)
Fixpoint ctil (W : forall l, Wty l) (b : forall l, bty l) j : forall l, 'cV[R]_(m l).+1 -> R :=
  match j with
  | 0 => fun l z => L l (emap (f l) z)
  | j'.+1 => fun l z => ctil W b j' l.+1 (potential (W l.+1) (emap (f l) z) (b l.+1))
  end.

(* D15: delta^l for a network of depth l + j, with a general loss: the output
   error is diag(f'(z^k)) (grad L)(a^k), which is diag(f'(z^k)) (a^k - y) for
   the squared error (L9). f' is the derivative f^`() of mathcomp-analysis. *)
Fixpoint delta (W : forall l, Wty l) (b : forall l, bty l) j : forall l, 'cV[R]_(m l).+1 :=
  match j with
  | 0 => fun l => diagc (emap (f l)^`() (pot W b l)) *m grad (L l) (act W b l)
  | j'.+1 => fun l =>
      diagc (emap (f l)^`() (pot W b l)) *m ((W l.+1)^T *m delta W b j' l.+1)
  end.

(* H(l) for a network of depth l + j: f^i is differentiable at every entry of
   z^i, i = l, ..., l + j. *)
Definition H W b (j l : nat) :=
  forall i : nat, (i <= j)%N -> forall r, differentiable (f (l + i)) (pot W b (l + i) r ord0).

(* P(l): c~_l is differentiable at z^l with differential h |-> <delta^l, h>,
   i.e. (by L5) its gradient is delta^l. *)
Definition P W b (j l : nat) :=
  differentiable (ctil W b j l) (pot W b l) /\
  'd (ctil W b j l) (pot W b l) = frob (delta W b j l) :> (_ -> R).

Lemma act_pot W b l : (0 < l)%N -> act W b l = emap (f l) (pot W b l).
Proof. by case: l. Qed.

(* T1.base: P(k), for a network of depth k = l. *)
Lemma T1_base W b l : (0 < l)%N ->
  (forall r, differentiable (f l) (pot W b l r ord0)) ->
  differentiable (L l) (act W b l) -> P W b 0 l.
Proof.
case: l => // l _ Hf HL.
have [d1 e1] := L7_elementwise_diag Hf.
have [dc ec] := L6_chain_rule d1 HL.
split; first exact: dc.
apply/funext => h.
apply: (etrans (congr1 (fun g => g h) ec)) => /=.
have e1h := congr1 (fun g => g h) e1; simpl in e1h.
apply: (etrans (congr1 ('d (L l.+1) (act W b l.+1)) e1h)).
apply: (etrans (congr1 (fun g => g _) (L5_differential _ _))).
by rewrite frob_mull /diagc tr_diag_mx.
Qed.

(* T1.step: P(l+1) implies P(l), for a network of depth l + j.+1. *)
Lemma T1_step W b j l : (0 < l)%N ->
  (forall r, differentiable (f l) (pot W b l r ord0)) ->
  P W b j l.+1 -> P W b j.+1 l.
Proof.
case: l => // l _ Hf [dC eC].
have [d1 e1] := L7_elementwise_diag Hf.
have [dA eA] := L8_a (W l.+2) (act W b l.+1) (b l.+2).
have [dg eg] := L6_chain_rule d1 dA.
have [dc ec] := L6_chain_rule dg dC.
split; first exact: dc.
apply/funext => h.
apply: (etrans (congr1 (fun g => g h) ec)) => /=.
have egh := congr1 (fun g => g h) eg; simpl in egh.
have e1h := congr1 (fun g => g h) e1; simpl in e1h.
have eAh := congr1 (fun g => g (diagc (emap (f l.+1)^`() (pot W b l.+1)) *m h)) eA.
simpl in eAh.
apply: (etrans (congr1 ('d (ctil W b j l.+2) (pot W b l.+2)) egh)).
apply: (etrans (congr1 ('d (ctil W b j l.+2) (pot W b l.+2))
  (congr1 ('d (fun v => potential (W l.+2) v (b l.+2)) (act W b l.+1)) e1h))).
apply: (etrans (congr1 ('d (ctil W b j l.+2) (pot W b l.+2)) eAh)).
apply: (etrans (congr1 (fun g => g _) eC)).
by rewrite !frob_mull /diagc tr_diag_mx.
Qed.

(* P1 for every layer, by induction over the layers above it. *)
Lemma P1 W b j : forall l, (0 < l)%N -> H W b j l ->
  differentiable (L (l + j)) (act W b (l + j)) -> P W b j l.
Proof.
elim: j => [|j IH] l l0 Hl HL.
  apply: T1_base => //; last by move: HL; rewrite addn0.
  by have := Hl 0%N (leqnn 0); rewrite addn0.
apply: T1_step => //.
  by have := Hl 0%N (leq0n _); rewrite addn0.
apply: IH => //.
  move=> i ij; rewrite addSn; have := Hl i.+1 ij; by rewrite addnS.
by rewrite addSnnS.
Qed.

(* D16 at the forward pass: c = c~_l(z^l). *)
Lemma D16_cost_eq_ctil W b j : forall l, (0 < l)%N ->
  cost W b (l + j) = ctil W b j l (pot W b l).
Proof.
elim: j => [|j IH] l l0.
  by rewrite /cost addn0 act_pot.
case: l l0 => // l _; by rewrite -addSnnS IH.
Qed.

(* Changing W^l (resp. b^l) changes neither the layers below l nor c~_l. *)
Section Update.
Variables (W : forall l, Wty l) (b : forall l, bty l) (l : nat).

Lemma act_updW V i : (i < l)%N -> act (@upd Wty W l V) b i = act W b i.
Proof.
elim: i => // i IH il /=.
by rewrite upd_neq ?IH ?(ltnW il) // neq_ltn il orbT.
Qed.

Lemma act_updb c i : (i < l)%N -> act W (@upd bty b l c) i = act W b i.
Proof.
elim: i => // i IH il /=.
by rewrite upd_neq ?IH ?(ltnW il) // neq_ltn il orbT.
Qed.

Lemma ctil_updW V j : forall i, (l <= i)%N -> ctil (@upd Wty W l V) b j i = ctil W b j i.
Proof.
elim: j => // j IH i li; apply/funext => z /=.
by rewrite IH ?upd_neq // ?neq_ltn ?ltnS ?li ?orbT // (leq_trans li).
Qed.

Lemma ctil_updb c j : forall i, (l <= i)%N -> ctil W (@upd bty b l c) j i = ctil W b j i.
Proof.
elim: j => // j IH i li; apply/funext => z /=.
by rewrite IH ?upd_neq // ?neq_ltn ?ltnS ?li ?orbT // (leq_trans li).
Qed.
End Update.

(* The cost as a function of W^l and of b^l (all other parameters fixed). *)
Definition costW W b k l (V : Wty l) := cost (@upd Wty W l V) b k.
Definition costb W b k l (c : bty l) := cost W (@upd bty b l c) k.

Lemma costW_ctil W b j l : (0 < l)%N ->
  costW W b (l + j) l =
  ctil W b j l \o (fun V => potential V (act W b l.-1) (b l)).
Proof.
move=> l0; apply/funext => V; rewrite /costW D16_cost_eq_ctil // ctil_updW //.
by rewrite /pot /= upd_eq act_updW // prednK.
Qed.

Lemma costb_ctil W b j l : (0 < l)%N ->
  costb W b (l + j) l =
  ctil W b j l \o (fun c => potential (W l) (act W b l.-1) c).
Proof.
move=> l0; apply/funext => c; rewrite /costb D16_cost_eq_ctil // ctil_updb //.
by rewrite /pot /= upd_eq act_updb // prednK.
Qed.

(* T1.W: the gradient of the cost with respect to W^l is delta^l (a^(l-1))^T. *)
Lemma T1_W W b j l : (0 < l)%N -> P W b j l ->
  differentiable (costW W b (l + j) l) (W l) /\
  grad (costW W b (l + j) l) (W l) = delta W b j l *m (act W b l.-1)^T.
Proof.
case: l => // l l0 [dC eC]; rewrite costW_ctil //=.
have [dA eA] := L8_W (W l.+1) (act W b l) (b l.+1).
have [dc ec] := L6_chain_rule dA dC.
split; first exact: dc.
apply: L5_identification; apply/funext => V.
apply: (etrans (congr1 (fun g => g V) ec)) => /=.
have eAV := congr1 (fun g => g V) eA; simpl in eAV.
apply: (etrans (congr1 ('d (ctil W b j l.+1) (pot W b l.+1)) eAV)).
apply: (etrans (congr1 (fun g => g _) eC)).
by rewrite frob_mulr.
Qed.

(* T1.b: the gradient of the cost with respect to b^l is delta^l. *)
Lemma T1_b W b j l : (0 < l)%N -> P W b j l ->
  differentiable (costb W b (l + j) l) (b l) /\
  grad (costb W b (l + j) l) (b l) = delta W b j l.
Proof.
case: l => // l l0 [dC eC]; rewrite costb_ctil //=.
have [dA eA] := L8_b (W l.+1) (act W b l) (b l.+1).
have [dc ec] := L6_chain_rule dA dC.
split; first exact: dc.
apply: L5_identification; apply/funext => c.
apply: (etrans (congr1 (fun g => g c) ec)) => /=.
have eAc := congr1 (fun g => g c) eA; simpl in eAc.
exact: (etrans (congr1 ('d (ctil W b j l.+1) (pot W b l.+1)) eAc)
  (congr1 (fun g => g c) eC)).
Qed.

(* H(l) for a network of depth k: f^i is differentiable at every entry of
   z^i for i = l, ..., k (spec/theorem.md). *)
Definition Hk W b k l :=
  forall i, (l <= i <= k)%N -> forall r, differentiable (f i) (pot W b i r ord0).

(* T1: for a network of depth k, a layer 1 <= l <= k with H(l), and a loss
   differentiable at a^k, the cost is differentiable in W^l and in b^l with
   gradients delta^l (a^(l-1))^T and delta^l. *)
Theorem T1 W b k l : (0 < l <= k)%N -> Hk W b k l ->
  differentiable (L k) (act W b k) ->
  [/\ differentiable (costW W b k l) (W l),
      grad (costW W b k l) (W l) = delta W b (k - l) l *m (act W b l.-1)^T,
      differentiable (costb W b k l) (b l) &
      grad (costb W b k l) (b l) = delta W b (k - l) l].
Proof.
case/andP => l0 lk Hl HL.
have kE : k = (l + (k - l))%N by rewrite subnKC.
have HP : P W b (k - l) l.
  apply: P1 => //; last by rewrite -kE.
  move=> i ik r; apply: Hl.
  by rewrite leq_addr /= -leq_subRL.
have [dW gW] := T1_W W b (k - l) l l0 HP.
have [db gb] := T1_b W b (k - l) l l0 HP.
by move: dW gW db gb; rewrite -kE; split.
Qed.

End Network.

(* C1: a batch of n samples (input X s, loss Ls s, e.g. the squared error
   against target Y s), reduction factor rho (1/n for "mean", 1 for "sum"). *)
Section Batch.
Variables (R : realType) (m : nat -> nat) (f : nat -> R -> R) (n : nat).
Variables (X : 'I_n -> 'cV[R]_(m 0).+1).
Variables (Ls : 'I_n -> forall l, 'cV[R]_(m l).+1 -> R).
Variable rho : R.
Variables (W : forall l, Wty R m l) (b : forall l, bty R m l) (k l : nat).

(* The batch cost C = rho * sum_s c_s as a function of W^l, resp. b^l. *)
Definition batch_costW (V : Wty R m l) : R :=
  rho * \sum_(s < n) costW R m f (Ls s) (X s) W b k l V.
Definition batch_costb (c : bty R m l) : R :=
  rho * \sum_(s < n) costb R m f (Ls s) (X s) W b k l c.

(* Delta^l (column s is rho delta^l_s) and A^(l-1) (column s is a^(l-1)_s). *)
Definition Delta : 'M[R]_((m l).+1, n) :=
  \matrix_(r, s) (rho * delta R m f (Ls s) (X s) W b (k - l) l r ord0).
Definition Aprev : 'M[R]_((m l.-1).+1, n) :=
  \matrix_(r, s) act R m f (X s) W b l.-1 r ord0.

Lemma batch_costW_sum : batch_costW =
  rho \*: \sum_(s < n) (costW R m f (Ls s) (X s) W b k l : Wty R m l -> R).
Proof. by apply/funext => V; rewrite /batch_costW /= fct_sumE. Qed.

Lemma batch_costb_sum : batch_costb =
  rho \*: \sum_(s < n) (costb R m f (Ls s) (X s) W b k l : bty R m l -> R).
Proof. by apply/funext => c; rewrite /batch_costb /= fct_sumE. Qed.

Lemma frob_sumZ p q (G : 'I_n -> 'M[R]_(p, q)) (V : 'M[R]_(p, q)) :
  frob (\sum_(s < n) rho *: G s) V = \sum_(s < n) rho * frob (G s) V.
Proof.
have frob0 : frob 0 V = 0 by rewrite /frob trmx0 mul0mx mxtrace0.
have frobD G1 G2 : frob (G1 + G2) V = frob G1 V + frob G2 V.
  rewrite /frob (_ : (G1 + G2)^T = G1^T + G2^T); last first.
    by apply/matrixP => ? ?; rewrite !mxE.
  by rewrite mulmxDl mxtraceD.
rewrite (big_morph (fun G => frob G V) frobD frob0); apply: eq_bigr => s _.
rewrite /frob (_ : (rho *: G s)^T = rho *: (G s)^T); last first.
  by apply/matrixP => ? ?; rewrite !mxE.
by rewrite -scalemxAl mxtraceZ.
Qed.

Lemma DeltaW : Delta *m (Aprev)^T = \sum_(s < n) rho *:
  (delta R m f (Ls s) (X s) W b (k - l) l *m (act R m f (X s) W b l.-1)^T).
Proof.
apply/matrixP => i j; rewrite !mxE summxE; apply: eq_bigr => s _.
by rewrite !mxE big_ord_recl big_ord0 addr0 !mxE mulrA.
Qed.

Lemma Deltab : Delta *m const_mx 1 =
  \sum_(s < n) rho *: delta R m f (Ls s) (X s) W b (k - l) l.
Proof.
apply/matrixP => i j; rewrite !mxE summxE; apply: eq_bigr => s _.
by rewrite !mxE (ord1 j) mulr1.
Qed.

(* C1: if 1 <= l <= k and every sample satisfies H(l) and has a loss
   differentiable at its output, the batch cost is differentiable in W^l and
   b^l with gradients Delta^l (A^(l-1))^T and Delta^l 1_n. *)
Theorem C1 : (0 < l <= k)%N -> (forall s, Hk R m f (X s) W b k l) ->
  (forall s, differentiable (Ls s k) (act R m f (X s) W b k)) ->
  [/\ differentiable batch_costW (W l),
      grad batch_costW (W l) = Delta *m (Aprev)^T,
      differentiable batch_costb (b l) &
      grad batch_costb (b l) = Delta *m const_mx 1].
Proof.
move=> l_range HH HL.
have T1s s := T1 R m f (Ls s) (X s) W b k l l_range (HH s) (HL s).
have dW s : differentiable (costW R m f (Ls s) (X s) W b k l) (W l).
  by case: (T1s s).
have db s : differentiable (costb R m f (Ls s) (X s) W b k l) (b l).
  by case: (T1s s).
have dsW := differentiable_sum dW.
have dsb := differentiable_sum db.
rewrite batch_costW_sum batch_costb_sum.
split.
- exact: differentiableZ.
- apply: L5_identification; apply/funext => V.
  apply: (etrans (congr1 (fun g => g V) (diffZ _ dsW))) => /=.
  apply: (etrans (congr1 (fun g => rho *: g V) (diff_sum dW))) => /=.
  transitivity (rho * \sum_(s < n) 'd (costW R m f (Ls s) (X s) W b k l) (W l) V).
    by rewrite fct_sumE.
  rewrite DeltaW frob_sumZ mulr_sumr; apply: eq_bigr => s _; congr (_ * _).
  apply: (etrans (congr1 (fun g => g V) (L5_differential _ _))).
  by case: (T1s s) => _ -> _ _.
- exact: differentiableZ.
- apply: L5_identification; apply/funext => V.
  apply: (etrans (congr1 (fun g => g V) (diffZ _ dsb))) => /=.
  apply: (etrans (congr1 (fun g => rho *: g V) (diff_sum db))) => /=.
  transitivity (rho * \sum_(s < n) 'd (costb R m f (Ls s) (X s) W b k l) (b l) V).
    by rewrite fct_sumE.
  rewrite Deltab frob_sumZ mulr_sumr; apply: eq_bigr => s _; congr (_ * _).
  apply: (etrans (congr1 (fun g => g V) (L5_differential _ _))).
  by case: (T1s s) => _ _ _ ->.
Qed.
End Batch.
