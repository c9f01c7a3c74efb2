/* log.h — Redis-style log lines: "pid:role dd Mon yyyy hh:mm:ss.mmm * message" */
#ifndef HF_LOG_H
#define HF_LOG_H

enum { LOG_DEBUG = 0, LOG_VERBOSE, LOG_NOTICE, LOG_WARNING };

void hf_log_init(const char *logfile, int level);   /* logfile "" = stdout */
void hf_log_set_level(int level);
int hf_log_level(void);
void hf_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
