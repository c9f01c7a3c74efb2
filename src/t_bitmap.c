/* t_bitmap.c — PLACEHOLDER: being written. */
#include "config.h"
#include "commands.h"

const struct binding bitmap_bindings[] = {{NULL, NULL}};
