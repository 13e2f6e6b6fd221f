// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord logging.  logfmt (time=... level=... msg="..." key=value)
 * or JSON lines through json-c; stdout, line-buffered, for containers and
 * journald alike.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "log.h"

static enum cs_log_level min_level = CS_INFO;
static bool json_format;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

int cs_log_set_level(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (!strcmp(name, level_names[i])) {
			min_level = i;
			return 0;
		}
	}
	return -1;
}

int cs_log_set_format(const char *name)
{
	if (!strcmp(name, "json"))
		json_format = true;
	else if (!strcmp(name, "logfmt"))
		json_format = false;
	else
		return -1;
	return 0;
}

bool cs_log_enabled(enum cs_log_level level)
{
	return level >= min_level;
}

static bool needs_quotes(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v <= ' ' || *v == '"' || *v == '=' || *v == '\\' ||
		    *v == 0x7f)
			return true;
	return false;
}

/* logfmt values are quoted when they hold spaces, quotes, '=' or controls. */
static void put_logfmt(const char *key, const char *v)
{
	const char *p;

	printf(" %s=", key);
	if (*v && !needs_quotes(v)) {
		fputs(v, stdout);
		return;
	}
	putchar('"');
	for (p = v; *p; p++) {
		unsigned char ch = *p;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch < 0x20 || ch == 0x7f)	/* never raw control bytes */
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

void cs_log(enum cs_log_level level, const char *msg, ...)
{
	struct json_object *o = NULL;
	const char *k, *v;
	char when[64];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (!cs_log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, ts.tv_nsec / 1000000);
	if (json_format) {
		o = json_object_new_object();
		json_object_object_add(o, "time", json_object_new_string(when));
		json_object_object_add(o, "level", json_object_new_string(level_names[level]));
		json_object_object_add(o, "msg", json_object_new_string(msg));
	} else {
		printf("time=%s level=%s", when, level_names[level]);
		put_logfmt("msg", msg);
	}
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *)) && (v = va_arg(ap, const char *))) {
		if (o)
			json_object_object_add(o, k, json_object_new_string(v));
		else
			put_logfmt(k, v);
	}
	va_end(ap);
	if (o) {
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		putchar('\n');
	}
	fflush(stdout);
}
