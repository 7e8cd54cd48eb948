// Fault injection (emu_faults.h): a count and an armed index per kind.
#include "emu_faults.h"

#include <mutex>

namespace emu {
namespace {

std::mutex fault_mutex;
long calls[SGFBLO_EMU_FAULT_KINDS];
long armed[SGFBLO_EMU_FAULT_KINDS] = {-1, -1, -1, -1, -1};
bool fired[SGFBLO_EMU_FAULT_KINDS];

bool valid(sgfblo_emu_fault_kind k) { return k >= 0 && k < SGFBLO_EMU_FAULT_KINDS; }

}  // namespace

bool fault(sgfblo_emu_fault_kind kind) {
  std::lock_guard<std::mutex> lock(fault_mutex);
  const long index = calls[kind]++;
  if (index != armed[kind]) return false;
  fired[kind] = true;
  return true;
}

}  // namespace emu

extern "C" {

void sgfblo_emu_fault_reset(void) {
  std::lock_guard<std::mutex> lock(emu::fault_mutex);
  for (int k = 0; k < SGFBLO_EMU_FAULT_KINDS; ++k) {
    emu::calls[k] = 0;
    emu::armed[k] = -1;
    emu::fired[k] = false;
  }
}

void sgfblo_emu_fault_arm(sgfblo_emu_fault_kind kind, long index) {
  if (!emu::valid(kind)) return;
  std::lock_guard<std::mutex> lock(emu::fault_mutex);
  emu::armed[kind] = index;
  emu::fired[kind] = false;
}

long sgfblo_emu_fault_calls(sgfblo_emu_fault_kind kind) {
  if (!emu::valid(kind)) return 0;
  std::lock_guard<std::mutex> lock(emu::fault_mutex);
  return emu::calls[kind];
}

int sgfblo_emu_fault_fired(sgfblo_emu_fault_kind kind) {
  if (!emu::valid(kind)) return 0;
  std::lock_guard<std::mutex> lock(emu::fault_mutex);
  return emu::fired[kind] ? 1 : 0;
}

}  // extern "C"
