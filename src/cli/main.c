/* sgfblo: the command-line tool. Dispatches to one subcommand per entry of COMMANDS; adding a
   subcommand is one line here plus its own file. */
#include <string.h>

#include "cli/cli.h"

static const cli_command COMMANDS[] = {
    {"synthetic", "the synthetic bilevel problem of the paper (section 4.1)", cli_synthetic_main},
    {"hyperclean", "data hyper-cleaning on MNIST or .npy features (section 4.2)", cli_hyperclean_main},
};
#define NCOMMANDS ((int)(sizeof COMMANDS / sizeof COMMANDS[0]))

static void usage(FILE *out) {
  fputs("Usage: sgfblo <command> [options]\n"
        "       sgfblo --help | --version\n"
        "\n"
        "Bilevel optimization by safe gradient flows.\n"
        "\n"
        "Commands:\n",
        out);
  for (int i = 0; i < NCOMMANDS; ++i)
    fprintf(out, "  %-12s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
  fputs("\n"
        "'sgfblo <command> --help' lists the options of a command.\n"
        "Exit status: 0 success, 1 solver failure, 2 usage error or bad input file.\n",
        out);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return CLI_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    usage(stdout);
    return CLI_EXIT_OK;
  }
  if (strcmp(cmd, "--version") == 0) {
    printf("sgfblo %s\n", sgfblo_version());
    return CLI_EXIT_OK;
  }
  for (int i = 0; i < NCOMMANDS; ++i)
    if (strcmp(cmd, COMMANDS[i].name) == 0) return COMMANDS[i].run(argc - 1, argv + 1);
  fprintf(stderr, "sgfblo: unknown command '%s' (see 'sgfblo --help')\n", cmd);
  return CLI_EXIT_USAGE;
}
