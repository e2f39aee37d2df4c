/* The block-list loader: one worker thread at a time reads, downloads and compiles the
 * resolver's lists into a filter snapshot, and hands it to the loop through an eventfd. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "lists.h"
#include "../../agent/curlapi.h"
#include "../../agent/loop.h"
#include "../../common/log.h"
#include "../../common/util.h"

#define LIST_MAX_BYTES (64u << 20)
#define FETCH_TIMEOUT_S 30L
#define CONNECT_TIMEOUT_S 10L
#define MAX_REDIRS 3L

/* One request, copied from the caller, and what the worker made of it. */
struct job {
	struct dns_list_src *lists;
	size_t n_lists;
	struct dns_rule_src *rules;
	size_t n_rules;
	int64_t *groups;
	size_t n_groups;
	bool fetch;
	const struct curl_api *cu;	/* set on the loop: NULL when libcurl is not there */

	struct filter *snap;
	struct dns_list_result *res;
	size_t n_res;
	uint32_t build_ms;
};

struct dns_lists {
	struct loop *loop;
	char *cache_dir;
	dns_lists_done_fn done;
	void *ctx;
	int efd;
	bool watched;

	pthread_t thread;
	bool running;
	struct job *cur, *next;
	atomic_bool cancel;

	const struct curl_api *cu;
	bool curl_inited;
	/* dns_lists_free from inside the callback only marks; the handler frees after it. */
	bool in_done, dead;
};

static char *dupz(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void job_free(struct job *j)
{
	size_t i;

	if (!j)
		return;
	for (i = 0; i < j->n_lists; i++) {
		free(j->lists[i].name);
		free(j->lists[i].source);
		free(j->lists[i].groups);
		free(j->lists[i].etag);
		free(j->lists[i].last_modified);
	}
	free(j->lists);
	for (i = 0; i < j->n_rules; i++)
		free(j->rules[i].pattern);
	free(j->rules);
	free(j->groups);
	for (i = 0; i < j->n_res; i++) {
		free(j->res[i].etag);
		free(j->res[i].last_modified);
	}
	free(j->res);
	filter_free(j->snap);
	free(j);
}

static struct job *job_copy(const struct dns_list_src *lists, size_t n,
			    const struct dns_rule_src *rules, size_t n_rules,
			    const int64_t *groups, size_t n_groups, bool fetch)
{
	struct job *j = xcalloc(1, sizeof(*j));
	size_t i;

	j->lists = xcalloc(n ? n : 1, sizeof(*j->lists));
	j->n_lists = n;
	for (i = 0; i < n; i++) {
		struct dns_list_src *c = &j->lists[i];

		c->id = lists[i].id;
		c->name = dupz(lists[i].name);
		c->source = dupz(lists[i].source ? lists[i].source : "");
		c->n_groups = lists[i].n_groups;
		c->groups = xcalloc(c->n_groups ? c->n_groups : 1, sizeof(int64_t));
		if (c->n_groups)
			memcpy(c->groups, lists[i].groups, c->n_groups * sizeof(int64_t));
		c->etag = dupz(lists[i].etag);
		c->last_modified = dupz(lists[i].last_modified);
	}
	j->rules = xcalloc(n_rules ? n_rules : 1, sizeof(*j->rules));
	j->n_rules = n_rules;
	for (i = 0; i < n_rules; i++) {
		j->rules[i].pattern = xstrdup(rules[i].pattern ? rules[i].pattern : "");
		j->rules[i].action = rules[i].action;
		j->rules[i].group_id = rules[i].group_id;
	}
	j->groups = xcalloc(n_groups ? n_groups : 1, sizeof(int64_t));
	j->n_groups = n_groups;
	if (n_groups)
		memcpy(j->groups, groups, n_groups * sizeof(int64_t));
	j->fetch = fetch;
	return j;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool is_url(const char *s)
{
	return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8);
}

static void set_error(struct dns_list_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_error(struct dns_list_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

static void append_error(struct dns_list_result *r, const char *s)
{
	size_t len = strlen(r->error);

	snprintf(r->error + len, sizeof(r->error) - len, "%s", s);
}

/* The whole of a regular file, at most LIST_MAX_BYTES; 0 or -errno with res->error set. */
static int read_file(const char *path, struct dns_list_result *res, char **text, size_t *len,
		     int64_t *mtime)
{
	struct stat st;
	size_t got = 0;
	char *buf = NULL;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		set_error(res, "open %s: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		set_error(res, "stat %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		set_error(res, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > LIST_MAX_BYTES) {
		r = -EFBIG;
		set_error(res, "%s: larger than 64 MiB", path);
		goto out;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			set_error(res, "read %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*text = buf;
	*len = got;
	buf = NULL;
	if (mtime)
		*mtime = st.st_mtim.tv_sec;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

/* tmp + rename, so a reader never sees half a list; 0600: lists may carry tokens in URLs
 * that point at them, and nobody else needs to read them. */
static int write_cache(const char *path, const char *text, size_t len)
{
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	size_t off = 0;
	ssize_t n;
	int fd, r = 0;

	fd = mkstemp(tmp);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (fchmod(fd, 0600) < 0) {
		r = -errno;
		goto out;
	}
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || rename(tmp, path) < 0)
		r = -errno;
out:
	if (fd >= 0)
		close(fd);
	if (r < 0 && fd >= 0)
		unlink(tmp);
	free(tmp);
	return r;
}

void dns_lists_prune(struct dns_lists *d, const int64_t *known, size_t n)
{
	struct dirent *e;
	DIR *dir;

	if (!d->cache_dir || !(dir = opendir(d->cache_dir)))
		return;
	while ((e = readdir(dir))) {
		char *end;
		long long id = strtoll(e->d_name, &end, 10);
		size_t i;

		/* ID.list only: a temporary file may be a running download's */
		if (end == e->d_name || id <= 0 || strcmp(end, ".list") != 0)
			continue;
		for (i = 0; i < n && known[i] != id; i++)
			;
		if (i < n)
			continue;
		if (unlinkat(dirfd(dir), e->d_name, 0) == 0)
			log_info("dns lists: removed the cached copy of deleted list %lld", id);
		else
			log_warn("dns lists: %s/%s: %s", d->cache_dir, e->d_name, strerror(errno));
	}
	closedir(dir);
}

/* One download into memory. */
struct fetch {
	struct dns_lists *d;
	char *body;
	size_t len, cap;
	bool too_big;
	char *etag, *last_modified;
};

static size_t fetch_body(char *p, size_t size, size_t nmemb, void *data)
{
	struct fetch *f = data;
	size_t n = size * nmemb;

	if (f->len + n > LIST_MAX_BYTES) {
		f->too_big = true;
		return 0;
	}
	if (f->len + n + 1 > f->cap) {
		size_t cap = f->cap ? f->cap : 65536;

		while (cap < f->len + n + 1)
			cap *= 2;
		f->body = xrealloc(f->body, cap);
		f->cap = cap;
	}
	memcpy(f->body + f->len, p, n);
	f->len += n;
	f->body[f->len] = '\0';
	return n;
}

/* A copy of the value of "Name: value\r\n" when the line is that header. */
static char *header_value(const char *line, size_t len, const char *name)
{
	size_t nl = strlen(name);

	if (len <= nl + 1 || strncasecmp(line, name, nl) || line[nl] != ':')
		return NULL;
	line += nl + 1;
	len -= nl + 1;
	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	return len ? xstrndup(line, len) : NULL;
}

static size_t fetch_header(char *p, size_t size, size_t nmemb, void *data)
{
	struct fetch *f = data;
	size_t n = size * nmemb;
	char *v;

	/* Each response of a redirect chain starts anew: only the last one's validators count. */
	if (n > 5 && !strncmp(p, "HTTP/", 5)) {
		free(f->etag);
		free(f->last_modified);
		f->etag = f->last_modified = NULL;
	} else if ((v = header_value(p, n, "ETag"))) {
		free(f->etag);
		f->etag = v;
	} else if ((v = header_value(p, n, "Last-Modified"))) {
		free(f->last_modified);
		f->last_modified = v;
	}
	return n;
}

static int fetch_progress(void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			  curl_off_t ulnow)
{
	struct fetch *f = data;

	return atomic_load(&f->d->cancel) ? 1 : 0;
}

static int curl_errno(CURLcode c)
{
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST: return -EHOSTUNREACH;
	case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
	case CURLE_FILESIZE_EXCEEDED: return -EFBIG;
	case CURLE_ABORTED_BY_CALLBACK: return -ECANCELED;
	case CURLE_UNSUPPORTED_PROTOCOL: return -EPROTONOSUPPORT;
	case CURLE_TOO_MANY_REDIRECTS: return -ELOOP;
	case CURLE_PEER_FAILED_VERIFICATION: return -EACCES;
	default: return -EIO;
	}
}

static int http_errno(long code)
{
	if (code == 404 || code == 410)
		return -ENOENT;
	if (code == 401 || code == 403)
		return -EACCES;
	return -EIO;
}

/* A conditional GET: 200 (body in f), 304, or -errno with res->error set. */
static int fetch_url(const struct job *j, const struct dns_list_src *src, bool conditional,
		     struct fetch *f, struct dns_list_result *res)
{
	const struct curl_api *cu = j->cu;
	struct curl_slist *hdr = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	long code = 0;
	CURLcode c;
	CURL *h;
	int r;

	if (!cu) {
		set_error(res, "libcurl is not available");
		return -ENOSYS;
	}
	h = cu->easy_init();
	if (!h) {
		set_error(res, "curl: cannot start a transfer");
		return -ENOMEM;
	}
	if (conditional && src->etag && *src->etag) {
		char *s = xasprintf("If-None-Match: %s", src->etag);

		hdr = cu->slist_append(hdr, s);
		free(s);
	}
	if (conditional && src->last_modified && *src->last_modified) {
		char *s = xasprintf("If-Modified-Since: %s", src->last_modified);

		hdr = cu->slist_append(hdr, s);
		free(s);
	}
	cu->easy_setopt(h, CURLOPT_URL, src->source);
	cu->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	cu->easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	cu->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	cu->easy_setopt(h, CURLOPT_MAXREDIRS, MAX_REDIRS);
	cu->easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	cu->easy_setopt(h, CURLOPT_TIMEOUT, FETCH_TIMEOUT_S);
	cu->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	cu->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	/* No SIGALRM from the resolver on a thread that is not the loop's. */
	cu->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)LIST_MAX_BYTES);
	cu->easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	cu->easy_setopt(h, CURLOPT_USERAGENT, "warren/" WARREN_VERSION);
	cu->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	cu->easy_setopt(h, CURLOPT_WRITEFUNCTION, fetch_body);
	cu->easy_setopt(h, CURLOPT_WRITEDATA, f);
	cu->easy_setopt(h, CURLOPT_HEADERFUNCTION, fetch_header);
	cu->easy_setopt(h, CURLOPT_HEADERDATA, f);
	cu->easy_setopt(h, CURLOPT_XFERINFOFUNCTION, fetch_progress);
	cu->easy_setopt(h, CURLOPT_XFERINFODATA, f);
	cu->easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	if (hdr)
		cu->easy_setopt(h, CURLOPT_HTTPHEADER, hdr);

	c = cu->easy_perform(h);
	if (c != CURLE_OK) {
		r = f->too_big ? -EFBIG : curl_errno(c);
		if (f->too_big)
			set_error(res, "%s: larger than 64 MiB", src->source);
		else
			set_error(res, "curl: %s", *errbuf ? errbuf : cu->easy_strerror(c));
		goto out;
	}
	cu->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (code == 304 && conditional) {
		r = 304;
	} else if (code >= 200 && code < 300 && code != 204 && code != 206) {
		r = 200;
	} else {
		r = http_errno(code);
		set_error(res, "HTTP %ld", code);
	}
out:
	cu->slist_free_all(hdr);
	cu->easy_cleanup(h);
	return r;
}

/* The text of a URL list: downloaded, or the cached copy when the server says it is current,
 * the download fails or none is asked for. */
static int load_url(struct dns_lists *d, const struct job *j, const struct dns_list_src *src,
		    struct dns_list_result *res, char **text, size_t *len)
{
	struct fetch f = { .d = d };
	char *cache = NULL;
	bool have_cache = false;
	int64_t mtime = 0;
	struct stat st;
	int r;

	if (d->cache_dir) {
		cache = xasprintf("%s/%lld.list", d->cache_dir, (long long)src->id);
		have_cache = stat(cache, &st) == 0 && S_ISREG(st.st_mode);
	}
	if (!j->fetch) {
		if (!have_cache) {
			set_error(res, "%s: not downloaded yet", src->source);
			r = -ENOENT;
			goto out;
		}
		r = read_file(cache, res, text, len, &mtime);
		if (r == 0) {
			res->etag = dupz(src->etag);
			res->last_modified = dupz(src->last_modified);
			res->fetched_at = mtime;
		}
		goto out;
	}

	/* Without a cached copy a 304 would leave nothing to load: ask unconditionally. */
	r = fetch_url(j, src, have_cache, &f, res);
	if (r == 200) {
		*text = f.body ? f.body : xstrdup("");
		*len = f.len;
		f.body = NULL;
		res->etag = f.etag;
		res->last_modified = f.last_modified;
		f.etag = f.last_modified = NULL;
		res->fetched_at = time(NULL);
		if (cache) {
			int w = write_cache(cache, *text, *len);

			if (w < 0)
				log_warn("dns list %s: cannot keep a copy in %s: %s",
					 src->name ? src->name : src->source, cache, strerror(-w));
		}
		r = 0;
		goto out;
	}
	if (r == 304) {
		r = read_file(cache, res, text, len, NULL);
		if (r == 0) {
			res->etag = f.etag ? f.etag : dupz(src->etag);
			res->last_modified = f.last_modified ? f.last_modified
							     : dupz(src->last_modified);
			f.etag = f.last_modified = NULL;
			res->fetched_at = time(NULL);
			r = 304;
		}
		goto out;
	}
	/* The download failed: keep serving the last good copy, and say so. */
	if (have_cache && r != -ECANCELED) {
		struct dns_list_result tmp = { .id = src->id };

		if (read_file(cache, &tmp, text, len, &mtime) == 0) {
			append_error(res, " (kept the cached copy)");
			res->etag = dupz(src->etag);
			res->last_modified = dupz(src->last_modified);
			res->fetched_at = mtime;
		}
	}
out:
	free(f.body);
	free(f.etag);
	free(f.last_modified);
	free(cache);
	return r;
}

static void note_bad(void *ctx, const char *file, unsigned line, const char *why)
{
	struct dns_list_result *res = ctx;

	if (!res->error[0])
		set_error(res, "%s:%u: %s", file, line, why);
}

static bool has_group(const int64_t *g, size_t n, int64_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (g[i] == id)
			return true;
	return false;
}

/* The groups that have rules of their own, each once, in the order the rules name them. */
static size_t rule_groups(const struct job *j, int64_t *out)
{
	size_t i, n = 0;

	for (i = 0; i < j->n_rules; i++)
		if (j->rules[i].group_id && !has_group(out, n, j->rules[i].group_id))
			out[n++] = j->rules[i].group_id;
	return n;
}

static void add_rules(struct filter_builder *fb, const struct job *j, int64_t group,
		      struct dns_list_result *res, uint64_t *parse_us)
{
	uint64_t t0 = mono_us();
	const char *why;
	size_t i;
	int r;

	for (i = 0; i < j->n_rules; i++) {
		const struct dns_rule_src *rule = &j->rules[i];

		if (rule->group_id != group)
			continue;
		why = NULL;
		r = filter_rule_parse(rule->pattern, &why);
		if (r == 0)
			r = filter_builder_add_rule(fb, (unsigned)res->source_bit, rule->pattern,
						    rule->action);
		if (r < 0) {
			res->bad++;
			if (!res->error[0])
				set_error(res, "rule %s: %s", rule->pattern,
					  why ? why : strerror(-r));
		} else {
			res->entries++;
		}
	}
	*parse_us += mono_us() - t0;
}

/* The worker's whole job: rule sources, then each list, then the groups' masks. */
static void job_run(struct dns_lists *d, struct job *j)
{
	int64_t *rgroups = xcalloc(j->n_rules + 1, sizeof(int64_t));
	size_t n_rg = rule_groups(j, rgroups), i, k, n_all = 0;
	bool global_rules = false;
	struct filter_builder *fb = NULL;
	uint64_t parse_us = 0, every = 0, t0, *rg_bits = NULL;
	int64_t *all = NULL;
	unsigned bit = 0;
	int global_bit = -1, r;

	for (i = 0; i < j->n_rules; i++)
		global_rules |= j->rules[i].group_id == 0;
	j->res = xcalloc(j->n_lists + n_rg + 1, sizeof(*j->res));
	for (i = 0; i < j->n_lists; i++) {
		j->res[i].id = j->lists[i].id;
		j->res[i].source_bit = -1;
	}
	j->n_res = j->n_lists;

	t0 = mono_us();
	r = filter_builder_new(&fb);
	parse_us += mono_us() - t0;
	if (r < 0) {
		for (i = 0; i < j->n_lists; i++)
			set_error(&j->res[i], "filter: %s", strerror(-r));
		goto out;
	}

	if (global_rules) {
		struct dns_list_result *res = &j->res[j->n_res++];

		res->source_bit = global_bit = (int)bit++;
		add_rules(fb, j, 0, res, &parse_us);
	}
	rg_bits = xcalloc(n_rg + 1, sizeof(uint64_t));
	for (k = 0; k < n_rg; k++) {
		struct dns_list_result *res = &j->res[j->n_res++];

		res->group_id = rgroups[k];
		res->source_bit = -1;
		if (bit >= FILTER_SOURCES_MAX) {
			res->status = -E2BIG;
			set_error(res, "no source left for this group's rules (at most %d)",
				  FILTER_SOURCES_MAX);
			continue;
		}
		res->source_bit = (int)bit++;
		rg_bits[k] = 1ull << res->source_bit;
		add_rules(fb, j, rgroups[k], res, &parse_us);
	}

	for (i = 0; i < j->n_lists && !atomic_load(&d->cancel); i++) {
		const struct dns_list_src *src = &j->lists[i];
		struct dns_list_result *res = &j->res[i];
		struct filter_source_stats st = { 0 };
		char *text = NULL;
		size_t len = 0;
		int s;

		if (is_url(src->source)) {
			s = load_url(d, j, src, res, &text, &len);
		} else if (strstr(src->source, "://")) {
			s = -EPROTONOSUPPORT;
			set_error(res, "%s: only http and https URLs", src->source);
		} else {
			s = read_file(src->source, res, &text, &len, NULL);
			if (s == 0)
				res->fetched_at = time(NULL);
		}
		res->status = s;
		if (!text)
			continue;
		if (bit >= FILTER_SOURCES_MAX) {
			res->status = -E2BIG;
			set_error(res, "not loaded: at most %d lists and rule sources",
				  FILTER_SOURCES_MAX);
			free(text);
			continue;
		}
		t0 = mono_us();
		s = filter_builder_add_list(fb, bit, src->source, text, len, &st, note_bad, res);
		parse_us += mono_us() - t0;
		free(text);
		if (s < 0) {
			res->status = s;
			if (!res->error[0])
				set_error(res, "%s: %s", src->source, strerror(-s));
			continue;
		}
		res->entries = st.entries;
		res->bad = st.bad;
		res->source_bit = (int)bit++;
		if (!src->n_groups)
			every |= 1ull << res->source_bit;
	}
	if (atomic_load(&d->cancel))
		goto out;

	/* Every group anyone named: the caller's, those with rules, those lists name. */
	all = xcalloc(j->n_groups + n_rg + 1, sizeof(int64_t));
	for (i = 0; i < j->n_groups; i++)
		if (!has_group(all, n_all, j->groups[i]))
			all[n_all++] = j->groups[i];
	for (k = 0; k < n_rg; k++)
		if (!has_group(all, n_all, rgroups[k]))
			all[n_all++] = rgroups[k];
	for (i = 0; i < j->n_lists; i++) {
		const struct dns_list_src *src = &j->lists[i];

		for (k = 0; k < src->n_groups; k++)
			if (!has_group(all, n_all, src->groups[k])) {
				all = xrealloc(all, (n_all + 1) * sizeof(int64_t));
				all[n_all++] = src->groups[k];
			}
	}

	t0 = mono_us();
	if (global_bit >= 0)
		every |= 1ull << global_bit;
	for (k = 0; k < n_all; k++) {
		uint64_t mask = every;
		size_t g;

		for (i = 0; i < j->n_lists; i++)
			if (j->res[i].source_bit >= 0 &&
			    has_group(j->lists[i].groups, j->lists[i].n_groups, all[k]))
				mask |= 1ull << j->res[i].source_bit;
		for (g = 0; g < n_rg; g++)
			if (rgroups[g] == all[k])
				mask |= rg_bits[g];
		filter_builder_group(fb, all[k], mask);
	}
	filter_builder_default(fb, every);
	r = filter_build(fb, &j->snap);
	fb = NULL;	/* consumed either way */
	parse_us += mono_us() - t0;
	if (r < 0) {
		j->snap = NULL;
		log_err("dns lists: compiling the filter: %s", strerror(-r));
	}
out:
	j->build_ms = (uint32_t)(parse_us / 1000u);
	filter_builder_free(fb);
	free(rgroups);
	free(rg_bits);
	free(all);
}

static void *worker(void *arg)
{
	struct dns_lists *d = arg;
	uint64_t one = 1;

	job_run(d, d->cur);
	while (write(d->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	return NULL;
}

static int start(struct dns_lists *d)
{
	sigset_t all, old;
	int r;

	d->cur = d->next;
	d->next = NULL;
	sigfillset(&all);
	/* The worker must never take a signal meant for the loop's signalfd. */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&d->thread, NULL, worker, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		log_err("dns lists: cannot start a build: %s", strerror(-r));
		job_free(d->cur);
		d->cur = NULL;
		return r;
	}
	d->running = true;
	return 0;
}

static void lists_destroy(struct dns_lists *d)
{
	atomic_store(&d->cancel, true);
	if (d->running)
		pthread_join(d->thread, NULL);
	job_free(d->cur);
	job_free(d->next);
	if (d->watched)
		loop_del_fd(d->loop, d->efd);
	if (d->efd >= 0)
		close(d->efd);
	if (d->curl_inited)
		d->cu->global_cleanup();
	free(d->cache_dir);
	free(d);
}

static void finished(struct loop *l, int fd, uint32_t events, void *data)
{
	struct dns_lists *d = data;
	struct filter *snap;
	struct job *j;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 || !d->running)
		return;
	pthread_join(d->thread, NULL);
	d->running = false;
	j = d->cur;
	d->cur = NULL;
	if (d->next)
		start(d);

	snap = j->snap;
	j->snap = NULL;
	d->in_done = true;
	d->done(d->ctx, snap, j->res, j->n_res, j->build_ms);
	d->in_done = false;
	job_free(j);
	if (d->dead)
		lists_destroy(d);
}

int dns_lists_new(struct loop *l, const char *cache_dir, dns_lists_done_fn done, void *ctx,
		  struct dns_lists **out)
{
	struct dns_lists *d = xcalloc(1, sizeof(*d));
	int r;

	d->loop = l;
	d->done = done;
	d->ctx = ctx;
	atomic_init(&d->cancel, false);
	d->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->efd < 0) {
		r = -errno;
		goto out;
	}
	if (cache_dir) {
		d->cache_dir = xstrdup(cache_dir);
		if (mkdir(cache_dir, 0700) < 0 && errno != EEXIST) {
			r = -errno;
			log_err("dns lists: mkdir %s: %s", cache_dir, strerror(errno));
			goto out;
		}
	}
	r = loop_add_fd(l, d->efd, EPOLLIN, finished, d);
	if (r < 0)
		goto out;
	d->watched = true;
	*out = d;
	return 0;
out:
	lists_destroy(d);
	return r;
}

void dns_lists_free(struct dns_lists *d)
{
	if (!d)
		return;
	if (d->in_done) {
		d->dead = true;
		return;
	}
	lists_destroy(d);
}

bool dns_lists_busy(const struct dns_lists *d)
{
	return d->running || d->next;
}

int dns_lists_build(struct dns_lists *d, const struct dns_list_src *lists, size_t n,
		    const struct dns_rule_src *rules, size_t n_rules, const int64_t *all_groups,
		    size_t n_groups, bool fetch)
{
	struct job *j;
	size_t i;

	if (d->dead)
		return -ESHUTDOWN;
	if (n && !lists)
		return -EINVAL;
	if ((n_rules && !rules) || (n_groups && !all_groups))
		return -EINVAL;
	/* libcurl's global set-up is not thread-safe: do it here, on the loop, before any
	 * worker needs it. */
	for (i = 0; fetch && !d->curl_inited && i < n; i++) {
		if (!lists[i].source || !is_url(lists[i].source))
			continue;
		d->cu = curlapi_load();
		if (d->cu && d->cu->global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
			d->curl_inited = true;
		else
			d->cu = NULL;
		break;
	}
	j = job_copy(lists, n, rules, n_rules, all_groups, n_groups, fetch);
	j->cu = d->cu;
	/* A request replacing a waiting one still downloads when that one would have. */
	if (d->next) {
		j->fetch |= d->next->fetch;
		job_free(d->next);
	}
	d->next = j;
	if (d->running)
		return 0;
	return start(d);
}
