/* The option parser every subcommand uses (getopt_long over tables of cli_option), the help
   listing generated from the same tables, and strict number conversions. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static void vreport(const char *prog, int hint, const char *fmt, va_list ap) {
  fprintf(stderr, "%s: ", prog);
  vfprintf(stderr, fmt, ap);
  if (hint) fprintf(stderr, " (see '%s --help')", prog);
  fputc('\n', stderr);
}

int cli_usage_error(const char *prog, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(prog, 1, fmt, ap);
  va_end(ap);
  return CLI_EXIT_USAGE;
}

int cli_input_error(const char *prog, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(prog, 0, fmt, ap);
  va_end(ap);
  return CLI_EXIT_USAGE;
}

static int count_options(const cli_option_group *groups, int ngroups) {
  int k = 0;
  for (int g = 0; g < ngroups; ++g)
    for (const cli_option *o = groups[g].options; o->name; ++o) ++k;
  return k;
}

int cli_parse(const char *prog, int argc, char **argv, const cli_option_group *groups,
              int ngroups, cli_option_fn fn, void *data) {
  const int k = count_options(groups, ngroups);
  struct option *longopts = calloc((size_t)k + 1, sizeof *longopts);
  if (!longopts) {
    fprintf(stderr, "%s: out of memory\n", prog);
    return CLI_EXIT_FAILURE;
  }
  int i = 0;
  for (int g = 0; g < ngroups; ++g)
    for (const cli_option *o = groups[g].options; o->name; ++o)
      longopts[i++] = (struct option){o->name, o->metavar ? required_argument : no_argument,
                                      NULL, o->key};
  int rc = CLI_EXIT_OK;
  opterr = 0; /* our own one-line messages instead of getopt's */
  optind = 0; /* 0, not 1: makes glibc re-initialise its parser state */
  /* Leading ':' tells a missing argument (':') from an unknown option ('?'); "+" stops at the
     first positional argument so that it is reported rather than silently permuted. */
  const char *shortopts = "+:h";
  int c;
  while (rc == CLI_EXIT_OK && (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    if (c == '?') {
      if (optopt >= 256) /* a known flag given "=value" */
        rc = cli_usage_error(prog, "option '%s' takes no argument", argv[optind - 1]);
      else if (optopt)
        rc = cli_usage_error(prog, "unknown option '-%c'", optopt);
      else
        rc = cli_usage_error(prog, "unknown or ambiguous option '%s'", argv[optind - 1]);
    } else if (c == ':') {
      rc = cli_usage_error(prog, "option '%s' needs an argument", argv[optind - 1]);
    } else {
      rc = fn(c == 'h' ? CLI_KEY_HELP : c, optarg, data);
    }
  }
  if (rc == CLI_EXIT_OK && optind < argc)
    rc = cli_usage_error(prog, "unexpected argument '%s'", argv[optind]);
  free(longopts);
  return rc;
}

/* Help text wider than the terminal is wrapped at spaces and indented under its column. */
#define CLI_HELP_WIDTH 79

static void print_wrapped(FILE *out, const char *text, int indent) {
  const int room = CLI_HELP_WIDTH - indent > 20 ? CLI_HELP_WIDTH - indent : 20;
  for (;;) {
    int cut = (int)strlen(text);
    if (cut <= room) break;
    cut = room;
    while (cut > 0 && text[cut] != ' ') --cut;
    if (cut == 0) cut = (int)strcspn(text, " "); /* one word longer than the room */
    fprintf(out, "%.*s", cut, text);
    text += cut;
    while (*text == ' ') ++text;
    if (!*text) break;
    fprintf(out, "\n%*s", indent, "");
  }
  fprintf(out, "%s\n", text);
}

void cli_print_option_groups(FILE *out, const cli_option_group *groups, int ngroups) {
  int width = 0;
  for (int g = 0; g < ngroups; ++g)
    for (const cli_option *o = groups[g].options; o->name; ++o) {
      const int w = (int)strlen(o->name) + (o->metavar ? 1 + (int)strlen(o->metavar) : 0);
      if (w > width) width = w;
    }
  for (int g = 0; g < ngroups; ++g) {
    fprintf(out, "\n%s:\n", groups[g].title);
    for (const cli_option *o = groups[g].options; o->name; ++o) {
      char head[128];
      snprintf(head, sizeof head, "%s%s%s", o->name, o->metavar ? " " : "",
               o->metavar ? o->metavar : "");
      fprintf(out, "  --%-*s  ", width, head);
      print_wrapped(out, o->help, width + 6);
    }
  }
}

int cli_parse_double(const char *prog, const char *opt, const char *s, double *out) {
  char *end = NULL;
  errno = 0;
  const double v = strtod(s, &end);
  if (end == s || *end != '\0')
    return cli_usage_error(prog, "%s: '%s' is not a number", opt, s);
  if (errno == ERANGE || !isfinite(v))
    return cli_usage_error(prog, "%s: '%s' is not a finite number in double range", opt, s);
  *out = v;
  return CLI_EXIT_OK;
}

int cli_parse_int64(const char *prog, const char *opt, const char *s, int64_t lo, int64_t hi,
                    int64_t *out) {
  char *end = NULL;
  errno = 0;
  const long long v = strtoll(s, &end, 10);
  if (end == s || *end != '\0')
    return cli_usage_error(prog, "%s: '%s' is not an integer", opt, s);
  if (errno == ERANGE || v < lo || v > hi)
    return cli_usage_error(prog, "%s: %s is out of range [%lld, %lld]", opt, s, (long long)lo,
                           (long long)hi);
  *out = (int64_t)v;
  return CLI_EXIT_OK;
}

int cli_parse_uint64(const char *prog, const char *opt, const char *s, uint64_t *out) {
  char *end = NULL;
  errno = 0;
  const char *p = s;
  while (*p == ' ' || *p == '\t') ++p;
  if (*p == '-') return cli_usage_error(prog, "%s: '%s' is negative", opt, s);
  const unsigned long long v = strtoull(s, &end, 10);
  if (end == s || *end != '\0')
    return cli_usage_error(prog, "%s: '%s' is not an integer", opt, s);
  if (errno == ERANGE) return cli_usage_error(prog, "%s: %s is too large", opt, s);
  *out = (uint64_t)v;
  return CLI_EXIT_OK;
}
