/* Host memory of this process and of the machine, for the benchmark programs (Linux /proc;
   every reader falls back to -1 elsewhere). */
#ifndef SGFBLO_BENCH_MEMORY_H
#define SGFBLO_BENCH_MEMORY_H

#include <stdint.h>

/** Make freed blocks go back to the system at once (glibc: a fixed mmap threshold and a
    trim), so that the resident size before a row is the program's baseline, not memory
    an earlier row freed into the heap. Call once at start, and bench_mem_trim() between rows. */
void bench_mem_init(void);
void bench_mem_trim(void);

/** Reset the peak resident size (VmHWM) to the current one: writes "5" to
    /proc/self/clear_refs. Returns 1 on success, 0 where that is not possible (then the peak
    read later is the peak since the process started). */
int bench_mem_reset_peak(void);

/** VmHWM (peak resident bytes since start or the last reset), VmRSS (resident now); -1 when
    /proc/self/status cannot be read. */
int64_t bench_mem_peak(void);
int64_t bench_mem_rss(void);

/** Physical memory (sysconf) and MemAvailable (/proc/meminfo; physical memory if absent). */
int64_t bench_mem_physical(void);
int64_t bench_mem_available(void);

#endif /* SGFBLO_BENCH_MEMORY_H */
