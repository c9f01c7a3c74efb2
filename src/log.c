/* log.c — one log sink shared by all threads; each line is one write(2). */
#include "config.h"
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

static int log_fd = STDOUT_FILENO;
static int log_level = LOG_NOTICE;

void hf_log_init(const char *logfile, int level)
{
    log_level = level;
    if (logfile && logfile[0]) {
        int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) log_fd = fd;
        else fprintf(stderr, "Can't open the log file %s: %s\n", logfile, strerror(errno));
    }
}

void hf_log_set_level(int level) { log_level = level; }
int hf_log_level(void) { return log_level; }

void hf_log(int level, const char *fmt, ...)
{
    if (level < log_level) return;
    static const char marks[] = ".-*#";
    char line[1024];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%d:M ", (int)getpid());
    n += (int)strftime(line + n, sizeof line - (size_t)n, "%d %b %Y %H:%M:%S.", &tm);
    n += snprintf(line + n, sizeof line - (size_t)n, "%03d %c ", (int)(tv.tv_usec / 1000), marks[level & 3]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0) m = 0;
    n += m;
    if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(log_fd, line, (size_t)n);
    (void)w;  /* nothing sensible to do if the log cannot be written */
}
