/* sysconf(_SC_PHYS_PAGES) is POSIX/XSI, not C11. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include "memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

void bench_mem_init(void) {
#ifdef __GLIBC__
  /* glibc raises its mmap threshold after each large free (up to 32 MiB), after which blocks
     of that size come from the heap and stay resident when freed: fix it at 1 MiB. */
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
}

void bench_mem_trim(void) {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

int bench_mem_reset_peak(void) {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (!f) return 0;
  const int ok = fputs("5", f) >= 0;
  return fclose(f) == 0 && ok;
}

/* Value in kB of "key:" in a /proc file, as bytes; -1 if absent. */
static int64_t proc_kb(const char *path, const char *key) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[256];
  int64_t v = -1;
  const size_t len = strlen(key);
  while (fgets(line, sizeof line, f))
    if (strncmp(line, key, len) == 0 && line[len] == ':') {
      v = 1024 * (int64_t)strtoll(line + len + 1, NULL, 10);
      break;
    }
  fclose(f);
  return v;
}

int64_t bench_mem_peak(void) { return proc_kb("/proc/self/status", "VmHWM"); }
int64_t bench_mem_rss(void) { return proc_kb("/proc/self/status", "VmRSS"); }

int64_t bench_mem_physical(void) {
  const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? (int64_t)pages * size : -1;
}

int64_t bench_mem_available(void) {
  const int64_t v = proc_kb("/proc/meminfo", "MemAvailable");
  return v > 0 ? v : bench_mem_physical();
}
