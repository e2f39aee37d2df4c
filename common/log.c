/* Log lines: "warren: message" for humans, "<N>message" under journald. */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

enum log_level log_threshold = LOG_LEVEL_INFO;
int log_syslog_prefix;

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const int syslog_prio[] = { 3, 4, 6, 7 };
	char buf[1024];
	va_list ap;

	if (level > log_threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (log_syslog_prefix)
		fprintf(stderr, "<%d>%s\n", syslog_prio[level], buf);
	else
		fprintf(stderr, "warren: %s%s\n", level == LOG_LEVEL_WARN ? "warning: " : "", buf);
}
