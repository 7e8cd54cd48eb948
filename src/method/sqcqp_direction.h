/* The closed-form solution of the SQCQP subproblem (sgfblo_sqcqp.h):
     minimize ||d + F||^2  subject to  gh'd + w ||d||^2 <= c,   w > 0,
   i.e. the projection of -F onto the ball ||d + gh/(2w)|| <= r, r^2 = ||gh/(2w)||^2 + c/w.
   Private; the tests call it directly. */
#ifndef SGFBLO_METHOD_SQCQP_DIRECTION_H
#define SGFBLO_METHOD_SQCQP_DIRECTION_H

#include "backend/backend.h"

/** Which branch of the closed form applies. */
typedef enum {
  SGFBLO_SQCQP_INTERIOR = 0,  /**< -F satisfies the constraint: d = -F, mu = 0 */
  SGFBLO_SQCQP_PROJECTED = 1, /**< d = -gh/(2w) + (r/||u||) u, u = -F + gh/(2w); mu > 0 */
  SGFBLO_SQCQP_INFEASIBLE = 2 /**< c < -||gh||^2/(4w): d = -gh/(2w), mu = NAN */
} sgfblo_sqcqp_case;

/** What the closed form found, for the method and for KKT checks. */
typedef struct {
  sgfblo_sqcqp_case kase;
  double r;  /**< ball radius (NAN when infeasible) */
  double mu; /**< multiplier: d + F + mu (gh + 2 w d) = 0, mu >= 0 (NAN when infeasible) */
  double Fd; /**< F'd (the Armijo slope) */
  double dinf; /**< ||d||_inf (+Inf if d has a NaN/Inf) */
} sgfblo_sqcqp_dir;

/**
 * The scalar part: which case applies and the radius, from FF = F'F, Fgh = F'gh,
 * ghgh = gh'gh. Sets out->kase and out->r (mu and Fd are left for the caller).
 * -F is inside when its constraint value -Fgh + w FF <= c (tested that way, without the
 * cancellation of comparing ||u||^2 with r^2); infeasible when r^2 < 0.
 */
void sgfblo_sqcqp_classify(double FF, double Fgh, double ghgh, double c, double w,
                           sgfblo_sqcqp_dir *out);

/**
 * d (length len, backend memory) from F and gh (length len, backend memory; d must alias
 * neither) with the ops table: three dot products read back together, one or two fused
 * combinations, then F'd and ||d||_inf read back together (two host reads in all, three in
 * the rare cancellation case). d_sc: 3 backend scalars of scratch.
 * c must be finite and w > 0 (not checked here; the settings validation guarantees w).
 * @return the ops' status (SGFBLO_OK on the CPU)
 */
sgfblo_status sgfblo_sqcqp_direction_ops(const sgfblo_ops *ops, sgfblo_bctx *b, int64_t len,
                                         const sgfblo_real *F, const sgfblo_real *gh, double c,
                                         double w, double *d_sc, sgfblo_real *d,
                                         sgfblo_sqcqp_dir *out);

/**
 * The same on host arrays (the CPU backend's ops).
 * @param[in]  F, gh  host, length len >= 1
 * @param[in]  c      finite;  @param[in] w  > 0 and finite
 * @param[out] d      host, length len, aliasing neither F nor gh
 * @param[out] out    case, radius, multiplier, F'd (may be NULL)
 * @return SGFBLO_OK; SGFBLO_ERR_NULL_ARG; SGFBLO_ERR_INVALID_ARG (len < 1, w not > 0, c or w
 *         not finite)
 */
sgfblo_status sgfblo_sqcqp_direction(int64_t len, const sgfblo_real *F, const sgfblo_real *gh,
                                     double c, double w, sgfblo_real *d, sgfblo_sqcqp_dir *out);

#endif /* SGFBLO_METHOD_SQCQP_DIRECTION_H */
