#include "method/method.h"

const sgfblo_method_impl *sgfblo_method_lookup(sgfblo_method m) {
  switch (m) {
    case SGFBLO_METHOD_RXGF: return &sgfblo_method_rxgf;
    case SGFBLO_METHOD_INVFREE: return &sgfblo_method_invfree;
    case SGFBLO_METHOD_SGF_CHOL: return &sgfblo_method_sgf_chol;
    case SGFBLO_METHOD_SGF_CG: return &sgfblo_method_sgf_cg;
    case SGFBLO_METHOD_PC: return &sgfblo_method_pc;
    case SGFBLO_METHOD_STABLE: return &sgfblo_method_stable;
    case SGFBLO_METHOD_COUNT_: break;
  }
  return NULL;
}
