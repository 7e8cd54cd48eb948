/* A small streaming JSON writer for the summaries: objects and arrays nested a few levels,
   strings with the escapes JSON requires, and numbers where NaN/Inf become null. */
#include <math.h>

#include "cli/cli.h"

static void json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; ++s) {
    const unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(out, "\\%c", c);
    else if (c < 0x20)
      fprintf(out, "\\u%04x", c);
    else
      fputc(c, out);
  }
  fputc('"', out);
}

/* Separator before a member, then its key (k NULL inside arrays). */
static void member(cli_json *j, const char *k) {
  if (!j->first[j->depth]) fputc(',', j->out);
  j->first[j->depth] = 0;
  if (k) {
    json_string(j->out, k);
    fputc(':', j->out);
  }
}

void cli_json_begin(cli_json *j, FILE *out) {
  j->out = out;
  j->depth = 0;
  j->first[0] = 1;
  fputc('{', out);
}

void cli_json_end(cli_json *j) { fputs("}\n", j->out); }

void cli_json_open(cli_json *j, const char *k, char brace) {
  member(j, k);
  fputc(brace, j->out);
  if (j->depth + 1 < CLI_JSON_MAX_DEPTH) j->depth++;
  j->first[j->depth] = 1;
}

void cli_json_close(cli_json *j, char brace) {
  fputc(brace, j->out);
  if (j->depth > 0) j->depth--;
}

void cli_json_str(cli_json *j, const char *k, const char *v) {
  member(j, k);
  json_string(j->out, v);
}

void cli_json_num(cli_json *j, const char *k, double v) {
  member(j, k);
  if (isfinite(v))
    fprintf(j->out, "%.17g", v);
  else
    fputs("null", j->out); /* JSON has no NaN or Inf */
}

void cli_json_int(cli_json *j, const char *k, int64_t v) {
  member(j, k);
  fprintf(j->out, "%lld", (long long)v);
}

void cli_json_bool(cli_json *j, const char *k, int v) {
  member(j, k);
  fputs(v ? "true" : "false", j->out);
}

void cli_json_null(cli_json *j, const char *k) {
  member(j, k);
  fputs("null", j->out);
}
