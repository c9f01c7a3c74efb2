/* sort.c — PLACEHOLDER: being written. */
#include "config.h"
#include "commands.h"

const struct binding sort_bindings[] = {{NULL, NULL}};
