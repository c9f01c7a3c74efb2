/* cmdmeta.h — static interface facts of each command (see tools/gen-cmdmeta.py). */
#ifndef HF_CMDMETA_H
#define HF_CMDMETA_H

struct cmdmeta {
    const char *name;       /* lower case; subcommands as "client|id" */
    int arity;
    const char *flags;      /* space separated COMMAND INFO flags */
    int first, last, step;
    const char *acl;        /* space separated "@read @string" */
    const char *tips;
    const char *keyspecs;   /* "flags|begin|find[|notes:...];..." */
    const char *group, *since, *summary, *complexity, *doc_flags;
    /* further COMMAND DOCS fields (history, arguments, ...) as raw RESP2 and
     * RESP3 bytes: ndocs_extra key/value pairs */
    int ndocs_extra;
    const char *docs_extra2, *docs_extra3;
};

extern const struct cmdmeta cmdmeta_table[];

#endif
