/* state.c — the process-wide state declared in server.h, defined in the
 * library so that the server, holdfast-admin and the tests link the same way. */
#include "config.h"
#include "server.h"

struct hf_server srv;
