/* resp.h — incremental RESP request parser (multibulk and inline).
 *
 * The parser is a value you feed bytes to, then ask for the next command:
 *
 *     char *dst = resp_space(p, &room);   read(fd, dst, room) -> n;
 *     resp_commit(p, n);
 *     while ((rc = resp_next(p, &argc, &argv)) == RESP_CMD) execute(argv);
 *     if (rc == RESP_ERR) reply resp_error(p), then close.
 *
 * "Need more" and "error" are different answers.  Errors are sticky.
 * The argv returned by resp_next() points into the parser's memory and
 * stays valid until the next call to resp_next(), resp_space() or
 * resp_feed().  Limits are enforced while parsing, with Redis's texts. */
#ifndef HF_RESP_H
#define HF_RESP_H

#include <stddef.h>
#include <stdbool.h>

typedef struct {
    const char *p;
    size_t n;
} hf_arg;

enum {
    RESP_CMD = 0,       /* a complete command is in argc/argv */
    RESP_NEED_MORE = 1, /* feed more bytes */
    RESP_ERR = -1,      /* protocol error; see resp_error() */
};

typedef struct resp_parser resp_parser;

/* Returns a new parser (owned by the caller; free with resp_free). */
resp_parser *resp_new(void);
void resp_free(resp_parser *p);

/* Limits: max bulk length (proto-max-bulk-len), and whether the client is
 * authenticated (tighter limits before AUTH, as Redis does). */
void resp_set_max_bulk(resp_parser *p, long long max_bulk);
void resp_set_authenticated(resp_parser *p, bool authed);

/* Returns a pointer to at least *room writable bytes at the end of the
 * buffer; *room is set to how many may be written. */
char *resp_space(resp_parser *p, size_t *room);
void resp_commit(resp_parser *p, size_t n);
void resp_feed(resp_parser *p, const void *data, size_t len);

int resp_next(resp_parser *p, int *argc, hf_arg **argv);
/* Protocol error text without the "-ERR " prefix, e.g.
 * "Protocol error: invalid bulk length".  NULL if no error. */
const char *resp_error(const resp_parser *p);

size_t resp_pending(const resp_parser *p);   /* unparsed bytes buffered */
size_t resp_capacity(const resp_parser *p);  /* allocated buffer size */
bool resp_is_inline(const resp_parser *p);   /* last command was inline */

/* Split an inline line into arguments the way redis-cli/Redis do
 * (sdssplitargs rules).  Returns the number of args, or -1 on unbalanced
 * quotes.  Unescaped bytes are written into out (>= len bytes). */
int resp_split_inline(const char *line, size_t len, char *out, hf_arg *args, int maxargs);

#endif
