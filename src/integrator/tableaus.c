/* Butcher tableaus (MATH.md "Time stepping"). */
#include "integrator/integrator.h"

static const sgfblo_tableau EULER = {
    .id = SGFBLO_INTEG_EULER, .stages = 1, .order = 1, .b = {1.0}};

/* Classic RK4: k2 = f(z + h k1/2), k3 = f(z + h k2/2), k4 = f(z + h k3). */
static const sgfblo_tableau RK4 = {
    .id = SGFBLO_INTEG_RK4,
    .stages = 4,
    .order = 4,
    .a = {{0}, {0.5}, {0, 0.5}, {0, 0, 1.0}},
    .b = {1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6}};

/* Kutta's 3/8 rule (torchdiffeq's "rk4"). */
static const sgfblo_tableau RK4_38 = {
    .id = SGFBLO_INTEG_RK4_38,
    .stages = 4,
    .order = 4,
    .a = {{0}, {1.0 / 3}, {-1.0 / 3, 1.0}, {1.0, -1.0, 1.0}},
    .b = {1.0 / 8, 3.0 / 8, 3.0 / 8, 1.0 / 8}};

/* Dormand-Prince 5(4): propagates the fifth-order solution, the fourth-order one estimates
   the error; the seventh stage is evaluated at the new state (FSAL). */
static const sgfblo_tableau DOPRI5 = {
    .id = SGFBLO_INTEG_DOPRI5,
    .stages = 7,
    .order = 5,
    .adaptive = 1,
    .fsal = 1,
    .a = {{0},
          {1.0 / 5},
          {3.0 / 40, 9.0 / 40},
          {44.0 / 45, -56.0 / 15, 32.0 / 9},
          {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
          {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
          {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84}},
    .b = {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0},
    .bhat = {5179.0 / 57600, 0, 7571.0 / 16695, 393.0 / 640, -92097.0 / 339200, 187.0 / 2100,
             1.0 / 40}};

const sgfblo_tableau *sgfblo_tableau_get(sgfblo_integrator id) {
  switch (id) {
    case SGFBLO_INTEG_EULER: return &EULER;
    case SGFBLO_INTEG_RK4: return &RK4;
    case SGFBLO_INTEG_RK4_38: return &RK4_38;
    case SGFBLO_INTEG_DOPRI5: return &DOPRI5;
    case SGFBLO_INTEG_COUNT_: break;
  }
  return 0;
}
