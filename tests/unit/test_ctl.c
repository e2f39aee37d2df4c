/* The control socket: protocol, limits, timeouts, socket file handling, the blocking
 * client, and the status text view. The server runs on a real loop; most clients are
 * sockets on the same loop, ctl_call talks to a server in a forked child. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/ctl.h"
#include "agent/loop.h"
#include "common/json.h"

static char dir[64];
static char path[128];

#define BIG_REPLY (6u << 20)

static char last_args[512];

/* The daemon's side, as a test stands in for it. */
static int handler(int argc, char **argv, struct json *reply, void *data)
{
	int i;

	(void)data;
	last_args[0] = '\0';
	for (i = 0; i < argc; i++) {
		strncat(last_args, i ? "|" : "", sizeof(last_args) - strlen(last_args) - 1);
		strncat(last_args, argv[i], sizeof(last_args) - strlen(last_args) - 1);
	}
	assert_null(argv[argc]);
	if (strcmp(argv[0], "status") == 0) {
		json_obj_begin(reply, NULL);
		json_u64(reply, "version", 1);
		json_str(reply, "role", "agent");
		json_end(reply);
		return 0;
	}
	if (strcmp(argv[0], "echo") == 0) {
		json_arr_begin(reply, NULL);
		for (i = 1; i < argc; i++)
			json_str(reply, NULL, argv[i]);
		json_end(reply);
		return 0;
	}
	if (strcmp(argv[0], "reload") == 0 && argc == 1) {
		json_rawf(reply, "a.conf:3: tunnel hq: bad\na.conf:9: group x: worse");
		return -EINVAL;
	}
	if (strcmp(argv[0], "nothing") == 0)
		return 0;
	if (strcmp(argv[0], "fail") == 0)
		return -EIO;
	if (strcmp(argv[0], "big") == 0) {
		size_t n;

		json_arr_begin(reply, NULL);
		for (n = 0; json_len(reply) < BIG_REPLY; n++)
			json_u64(reply, NULL, n);
		json_end(reply);
		return 0;
	}
	return -EOPNOTSUPP;
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/warren-ctl-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/run/warren.sock", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* ---- a client on the same loop ---- */

struct exch {
	int fd;
	struct json in;
	const char *out;
	size_t out_len, out_off;
	bool eof;
	int err;
	size_t read_chunk;          /* 0: read as much as there is */
};

static void exch_event(struct loop *l, int fd, uint32_t events, void *data)
{
	struct exch *x = data;
	char buf[65536];
	ssize_t n;

	if (x->out_off < x->out_len && (events & EPOLLOUT)) {
		n = send(fd, x->out + x->out_off, x->out_len - x->out_off, MSG_NOSIGNAL);
		if (n > 0)
			x->out_off += (size_t)n;
		else if (errno != EAGAIN)
			x->out_off = x->out_len;    /* the server hung up; read its answer */
		if (x->out_off == x->out_len)
			loop_mod_fd(l, fd, EPOLLIN);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = read(fd, buf, x->read_chunk ? x->read_chunk : sizeof(buf));
	if (n > 0) {
		json_raw(&x->in, buf, (size_t)n);
		return;
	}
	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0)
		x->err = errno;
	x->eof = true;
	loop_del_fd(l, fd);
	loop_stop(l, 0);
}

static void give_up(struct loop *l, struct timer *t, void *data)
{
	(void)t;
	(void)data;
	loop_stop(l, -ETIMEDOUT);
}

static int client_connect(const char *p)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sun.sun_path, p);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Send req (len bytes) and collect everything until the server closes; returns the
 * reply (caller frees), NULL when the loop had to be stopped after limit_ms. */
static char *exchange_ex(struct loop *l, const char *req, size_t len, size_t read_chunk,
			 unsigned limit_ms, int *err)
{
	struct exch x = { .out = req, .out_len = len, .read_chunk = read_chunk };
	struct timer *t = timer_new(l, give_up, NULL);
	int r;

	x.fd = client_connect(path);
	assert_true(x.fd >= 0);
	assert_int_equal(loop_add_fd(l, x.fd, len ? EPOLLOUT : EPOLLIN, exch_event, &x), 0);
	timer_arm(t, limit_ms);
	r = loop_run(l);
	timer_free(t);
	if (!x.eof)
		loop_del_fd(l, x.fd);
	close(x.fd);
	if (err)
		*err = x.err;
	if (r < 0) {
		json_clear(&x.in);
		return NULL;
	}
	return json_steal(&x.in, NULL);
}

static char *exchange(struct loop *l, const char *req)
{
	return exchange_ex(l, req, strlen(req), 0, 3000, NULL);
}

static void expect_reply(struct loop *l, const char *req, const char *reply)
{
	char *got = exchange(l, req);

	assert_non_null(got);
	assert_string_equal(got, reply);
	free(got);
}

static void test_protocol(void **state)
{
	struct loop *l;
	struct ctl *c;
	char *got;

	(void)state;
	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(ctl_open(l, path, handler, NULL, &c), 0);

	expect_reply(l, "warren/1 status\n", "ok\n{\"version\":1,\"role\":\"agent\"}\n");
	assert_string_equal(last_args, "status");
	expect_reply(l, "warren/1 status\r\n", "ok\n{\"version\":1,\"role\":\"agent\"}\n");
	expect_reply(l, "warren/1 nothing\n", "ok\n");
	expect_reply(l, "warren/1 bogus\n", "error unknown command \"bogus\"\n");
	expect_reply(l, "warren/1 fail\n", "error fail: Input/output error\n");
	expect_reply(l, "warren/1 reload\n",
		     "error a.conf:3: tunnel hq: bad\na.conf:9: group x: worse\n");
	expect_reply(l, "warren/2 status\n",
		     "error unsupported protocol version \"warren/2\"; this daemon speaks warren/1\n");
	expect_reply(l, "GET / HTTP/1.1\r\n",
		     "error not a warren request (\"GET\"); expected \"warren/1 COMMAND [ARG...]\"\n");
	expect_reply(l, "\n", "error empty request; expected \"warren/1 COMMAND [ARG...]\"\n");
	expect_reply(l, "warren/1\n", "error missing command; expected \"warren/1 COMMAND [ARG...]\"\n");
	expect_reply(l, "warren/1 echo a%2\n", "error word 2: bad %-escape\n");
	expect_reply(l, "warren/1 echo a%00b\n", "error word 2: bad %-escape\n");
	got = exchange_ex(l, "warren/1 echo a\0b\n", 18, 0, 3000, NULL);
	assert_string_equal(got, "error NUL byte in the request\n");
	free(got);
	/* arguments: %-escapes decoded, runs of spaces separate, UTF-8 passes */
	expect_reply(l, "warren/1 echo a%20b  %25 %0a caf\xc3\xa9 x%7Ey\n",
		     "ok\n[\"a b\",\"%\",\"\\n\",\"caf\xc3\xa9\",\"x~y\"]\n");
	assert_string_equal(last_args, "echo|a b|%|\n|caf\xc3\xa9|x~y");
	/* anything after the first line is ignored */
	expect_reply(l, "warren/1 nothing\nwarren/1 status\n", "ok\n");

	ctl_close(c);
	loop_free(l);
}

static void test_limits(void **state)
{
	char big[CTL_MAX_REQUEST + 1000], *got;
	struct loop *l;
	struct ctl *c;
	size_t i;

	(void)state;
	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(ctl_open(l, path, handler, NULL, &c), 0);

	/* too long without a newline, then with one: refused, the server stays up */
	memset(big, 'a', sizeof(big));
	got = exchange_ex(l, big, sizeof(big), 0, 3000, NULL);
	assert_string_equal(got, "error request longer than 65536 bytes\n");
	free(got);
	memcpy(big, "warren/1 echo ", 14);
	big[sizeof(big) - 1] = '\n';
	got = exchange_ex(l, big, sizeof(big), 0, 3000, NULL);
	assert_string_equal(got, "error request longer than 65536 bytes\n");
	free(got);
	/* exactly the limit is fine */
	big[CTL_MAX_REQUEST - 1] = '\n';
	got = exchange_ex(l, big, CTL_MAX_REQUEST, 0, 3000, NULL);
	assert_true(strncmp(got, "ok\n[\"aaaa", 9) == 0);
	free(got);
	/* too many words */
	strcpy(big, "warren/1 echo");
	for (i = 0; i < CTL_MAX_ARGS; i++)
		strcat(big, " x");
	strcat(big, "\n");
	expect_reply(l, big, "error more than 64 words in the request\n");
	expect_reply(l, "warren/1 status\n", "ok\n{\"version\":1,\"role\":\"agent\"}\n");

	ctl_close(c);
	loop_free(l);
}

/* A reply far larger than a socket buffer, read slowly: written without blocking the
 * loop (the reading client lives on the same loop, so a blocking write would hang). */
static void test_big_reply(void **state)
{
	struct loop *l;
	struct ctl *c;
	char *got;
	size_t len;

	(void)state;
	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(ctl_open(l, path, handler, NULL, &c), 0);
	got = exchange_ex(l, "warren/1 big\n", 13, 4096, 20000, NULL);
	assert_non_null(got);
	len = strlen(got);
	assert_true(len > BIG_REPLY);
	assert_true(strncmp(got, "ok\n[0,1,2,", 10) == 0);
	assert_string_equal(got + len - 2, "]\n");
	free(got);
	ctl_close(c);
	loop_free(l);
}

static void test_timeout(void **state)
{
	struct loop *l;
	struct ctl *c;
	uint64_t t0, dt;
	char *got;
	int err;

	(void)state;
	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(ctl_open(l, path, handler, NULL, &c), 0);
	ctl_set_timeout(c, 150);

	/* says nothing: dropped without a word */
	t0 = loop_now_ms();
	got = exchange_ex(l, "", 0, 0, 3000, &err);
	dt = loop_now_ms() - t0;
	assert_non_null(got);
	assert_string_equal(got, "");
	free(got);
	assert_true(dt >= 150 && dt < 2000);

	/* half a line is not a request either */
	t0 = loop_now_ms();
	got = exchange_ex(l, "warren/1 sta", 12, 0, 3000, &err);
	dt = loop_now_ms() - t0;
	assert_string_equal(got, "");
	free(got);
	assert_true(dt >= 150 && dt < 2000);

	/* and the server goes on */
	expect_reply(l, "warren/1 status\n", "ok\n{\"version\":1,\"role\":\"agent\"}\n");
	ctl_close(c);
	loop_free(l);
}

static void test_socket_file(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct loop *l;
	struct ctl *c, *c2;
	struct stat st;
	char sub[160];
	mode_t old;
	int fd;

	(void)state;
	old = umask(022);
	assert_int_equal(loop_new(&l), 0);

	/* the parent directory is created, the socket is 0600 */
	assert_int_equal(ctl_open(l, path, handler, NULL, &c), 0);
	snprintf(sub, sizeof(sub), "%s/run", dir);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(umask(022), 022);       /* restored after bind */

	/* a live one is not stolen, and survives the attempt */
	c2 = (void *)1;
	assert_int_equal(ctl_open(l, path, handler, NULL, &c2), -EADDRINUSE);
	assert_null(c2);
	expect_reply(l, "warren/1 status\n", "ok\n{\"version\":1,\"role\":\"agent\"}\n");

	/* close removes it */
	ctl_close(c);
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(errno, ENOENT);

	/* a stale one (its owner died without cleaning up) is replaced */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sun.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(client_connect(path), -ECONNREFUSED);
	assert_int_equal(ctl_open(l, path, handler, NULL, &c), 0);
	expect_reply(l, "warren/1 status\n", "ok\n{\"version\":1,\"role\":\"agent\"}\n");

	/* one that is no longer ours at close is left alone */
	assert_int_equal(unlink(path), 0);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ctl_close(c);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));

	/* a file that is not a socket is never removed */
	assert_int_equal(ctl_open(l, path, handler, NULL, &c), -EEXIST);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(unlink(path), 0);

	/* too long for sun_path */
	memset(sub, 'x', sizeof(sub) - 1);
	sub[0] = '/';
	sub[sizeof(sub) - 1] = '\0';
	assert_int_equal(ctl_open(l, sub, handler, NULL, &c), -ENAMETOOLONG);

	ctl_close(NULL);
	loop_free(l);
	umask(old);
}

/* ---- the blocking client against a server in a child ---- */

static void child_stop(struct loop *l, int signo, void *data)
{
	(void)signo;
	(void)data;
	loop_stop(l, 0);
}

static pid_t start_server(void)
{
	int pfd[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct loop *l;
		struct ctl *ctl;
		int r;

		close(pfd[0]);
		if (loop_new(&l) < 0 || loop_add_signal(l, SIGTERM, child_stop, NULL) < 0 ||
		    ctl_open(l, path, handler, NULL, &ctl) < 0)
			_exit(1);
		if (write(pfd[1], "r", 1) != 1)
			_exit(1);
		close(pfd[1]);
		r = loop_run(l);
		ctl_close(ctl);
		loop_free(l);
		_exit(r == 0 ? 0 : 1);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	return pid;
}

static void stop_server(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_call(void **state)
{
	char *status[] = { "status", NULL }, *reload[] = { "reload", NULL };
	char *echo[] = { "echo", "two words", "100%", "tab\there", "caf\xc3\xa9", NULL };
	char *empty[] = { "echo", "", NULL };
	struct json reply = { 0 };
	struct stat st;
	bool ok;
	pid_t pid;
	int fd;

	(void)state;
	/* nobody there */
	assert_int_equal(ctl_call(path, 1, status, 1000, &ok, &reply), -ENOENT);

	pid = start_server();
	assert_int_equal(ctl_call(path, 1, status, 1000, &ok, &reply), 0);
	assert_true(ok);
	assert_string_equal(json_text(&reply), "{\"version\":1,\"role\":\"agent\"}\n");
	json_reset(&reply);

	assert_int_equal(ctl_call(path, 1, reload, 1000, &ok, &reply), 0);
	assert_false(ok);
	assert_string_equal(json_text(&reply), "a.conf:3: tunnel hq: bad\na.conf:9: group x: worse\n");
	json_reset(&reply);

	assert_int_equal(ctl_call(path, 5, echo, 1000, &ok, &reply), 0);
	assert_true(ok);
	assert_string_equal(json_text(&reply),
			    "[\"two words\",\"100%\",\"tab\\there\",\"caf\xc3\xa9\"]\n");
	json_reset(&reply);

	assert_int_equal(ctl_call(path, 2, empty, 1000, &ok, &reply), -EINVAL);
	assert_int_equal(json_len(&reply), 0);
	stop_server(pid);

	/* the server removed its socket on the way out */
	assert_int_equal(lstat(path, &st), -1);

	/* a socket nobody listens on */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		strcpy(sun.sun_path, path);
		assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	}
	close(fd);
	assert_int_equal(ctl_call(path, 1, status, 1000, &ok, &reply), -ECONNREFUSED);
	unlink(path);
	json_clear(&reply);
}

/* A listener that never answers: the client gives up after its timeout. */
static void test_call_timeout(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char *status[] = { "status", NULL };
	struct json reply = { 0 };
	uint64_t t0;
	bool ok;
	int fd;

	(void)state;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/mute.sock", dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 4), 0);
	t0 = loop_now_ms();
	assert_int_equal(ctl_call(sun.sun_path, 1, status, 200, &ok, &reply), -ETIMEDOUT);
	assert_true(loop_now_ms() - t0 >= 200);
	close(fd);
	json_clear(&reply);
}

static void test_encode(void **state)
{
	char *ok[] = { "user", "add", "a b%c", "\x01\x7f", NULL };
	char *empty[] = { "user", "", NULL };
	char *many[CTL_MAX_ARGS + 1];
	static char longarg[CTL_MAX_REQUEST];
	char *toolong[] = { "x", longarg, NULL };
	struct json j = { 0 };
	int i;

	(void)state;
	assert_int_equal(ctl_encode_request(&j, 4, ok), 0);
	assert_string_equal(json_text(&j), "warren/1 user add a%20b%25c %01%7F\n");
	assert_int_equal(ctl_encode_request(&j, 2, empty), -EINVAL);
	assert_string_equal(json_text(&j), "warren/1 user add a%20b%25c %01%7F\n");
	assert_int_equal(ctl_encode_request(&j, 0, ok), -EINVAL);
	json_reset(&j);
	for (i = 0; i < CTL_MAX_ARGS + 1; i++)
		many[i] = "x";
	assert_int_equal(ctl_encode_request(&j, CTL_MAX_ARGS + 1, many), -E2BIG);
	assert_int_equal(ctl_encode_request(&j, CTL_MAX_ARGS, many), 0);
	json_reset(&j);
	memset(longarg, 'a', sizeof(longarg) - 1);
	assert_int_equal(ctl_encode_request(&j, 2, toolong), -E2BIG);
	assert_int_equal(json_len(&j), 0);
	json_clear(&j);
}

/* ---- text view ---- */

static const char status_doc[] =
	"{ \"version\": 1, \"role\": \"agent\", \"pid\": 1234, \"config\": \"/etc/warren/warren.conf\","
	"  \"started\": 1764000000,"
	"  \"tunnels\": [ { \"name\": \"hq\", \"interface\": \"wg-hq\", \"backend\": \"kernel\","
	"      \"state\": \"up\", \"since\": 1764000061,"
	"      \"addresses\": [\"10.9.0.10/32\", \"fd09::10/128\"], \"mtu\": 1420, \"table\": 6200,"
	"      \"listen_port\": 51820, \"public_key\": \"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=\","
	"      \"routes\": [\"172.16.0.0/16\"],"
	"      \"dns\": { \"servers\": [\"10.9.0.1\"], \"domains\": [\"corp.example\", \"~example.net\"],"
	"          \"full\": false, \"method\": \"resolved\", \"state\": \"applied\" },"
	"      \"peers\": [ { \"public_key\": \"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\","
	"          \"endpoint\": \"192.0.2.1:51820\", \"allowed_ips\": [\"172.16.0.0/16\", \"10.9.0.1/32\"],"
	"          \"latest_handshake\": 1764003588, \"rx_bytes\": 1258291, \"tx_bytes\": 3565158,"
	"          \"persistent_keepalive\": 25 } ] },"
	"    { \"name\": \"warp\", \"interface\": \"wg-warp\", \"backend\": \"userspace\","
	"      \"state\": \"failed\", \"since\": 1763900000, \"error\": \"wireguard-go: exited\\n1\","
	"      \"addresses\": [], \"mtu\": 1280, \"table\": 6201, \"listen_port\": 0,"
	"      \"routes\": [],"
	"      \"dns\": { \"servers\": [\"192.0.2.53\"], \"domains\": [], \"full\": true, \"method\": null,"
	"          \"state\": \"failed\", \"error\": \"resolvconf: not installed\" },"
	"      \"peers\": [ { \"public_key\": \"bmXOC+F1FxEMF9dyiK2H5/1SUtzH0JuVo51h2wPfgyo=\","
	"          \"endpoint\": null, \"allowed_ips\": [], \"latest_handshake\": 0,"
	"          \"rx_bytes\": 0, \"tx_bytes\": 1023, \"persistent_keepalive\": 0 } ] } ],"
	"  \"groups\": [ { \"name\": \"internet\", \"routes\": [\"0.0.0.0/0\"], \"members\": [\"hq\", \"warp\"],"
	"      \"active\": \"hq\", \"fallback\": \"blackhole\", \"switches\": 0, \"since\": 1764000000 },"
	"    { \"name\": \"v6\", \"routes\": [\"::/0\"], \"members\": [\"warp\"], \"active\": null,"
	"      \"fallback\": \"main\", \"switches\": 1, \"since\": 1764000000 } ] }";

static const char status_text[] =
	"warren agent (pid 1234): /etc/warren/warren.conf, running since 16:00:00\n"
	"tunnel hq: wg-hq (kernel) up since 16:01:01\n"
	"  address 10.9.0.10/32, fd09::10/128  mtu 1420  table 6200  listen 51820\n"
	"  public key HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=\n"
	"  peer xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\n"
	"    endpoint 192.0.2.1:51820  handshake 12s ago  rx 1.2 MiB  tx 3.4 MiB  keepalive 25s\n"
	"    allowed ips 172.16.0.0/16, 10.9.0.1/32\n"
	"  routes 172.16.0.0/16\n"
	"  dns 10.9.0.1  domains corp.example, ~example.net  applied through resolved\n"
	"tunnel warp: wg-warp (userspace) failed since 2025-11-23 12:13:20\n"
	"  error: wireguard-go: exited?1\n"
	"  address none  mtu 1280  table 6201\n"
	"  peer bmXOC+F1FxEMF9dyiK2H5/1SUtzH0JuVo51h2wPfgyo=\n"
	"    endpoint none  handshake never  rx 0 B  tx 1023 B\n"
	"    allowed ips none\n"
	"  routes none\n"
	"  dns 192.0.2.53  domains none  (full)  failed: resolvconf: not installed\n"
	"group internet: active hq (members hq, warp; fallback blackhole; 0 switches)\n"
	"group v6: active none (members warp; fallback main; 1 switch)\n";

static char *render(const char *doc, time_t now)
{
	struct json_value *v;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(json_parse(doc, strlen(doc), &v, NULL, NULL), 0);
	f = open_memstream(&out, &len);
	assert_non_null(f);
	ctl_render_status(f, v, now);
	fclose(f);
	json_value_free(v);
	return out;
}

static void test_render(void **state)
{
	char *out;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	/* now = 1764003600 = 2025-11-24 17:00:00 UTC */
	out = render(status_doc, 1764003600);
	assert_string_equal(out, status_text);
	free(out);

	/* an empty daemon, and rough edges: nothing crashes, gaps show as "?" */
	out = render("{\"role\":\"server\",\"tunnels\":[{\"peers\":[{}]}],\"groups\":[{}]}", 1764003600);
	assert_string_equal(out,
		"warren server\n"
		"tunnel ?: ? (?) ?\n"
		"  address none\n"
		"  peer ?\n"
		"    endpoint none  handshake ?  rx ?  tx ?\n"
		"    allowed ips none\n"
		"  routes none\n"
		"group ?: active none (members none; fallback ?)\n");
	free(out);
}

/* Relative times and byte counts at their edges. */
static void test_render_units(void **state)
{
	static const struct { uint64_t ago, rx; const char *text; } cases[] = {
		{ 0, 0, "handshake 0s ago  rx 0 B" },
		{ 59, 1023, "handshake 59s ago  rx 1023 B" },
		{ 60, 1024, "handshake 1m00s ago  rx 1.0 KiB" },
		{ 3599, 1048524, "handshake 59m59s ago  rx 1023.9 KiB" },
		{ 3600, 1048575, "handshake 1h00m ago  rx 1.0 MiB" },
		{ 86399, 5368709120ull, "handshake 23h59m ago  rx 5.0 GiB" },
		{ 90000, 1125899906842624ull, "handshake 1d01h ago  rx 1.0 PiB" },
	};
	char doc[512], *out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(doc, sizeof(doc),
			 "{\"tunnels\":[{\"peers\":[{\"latest_handshake\":%llu,\"rx_bytes\":%llu}]}]}",
			 (unsigned long long)(1764003600 - cases[i].ago),
			 (unsigned long long)cases[i].rx);
		out = render(doc, 1764003600);
		if (!strstr(out, cases[i].text))
			fail_msg("case %zu: wanted \"%s\" in:\n%s", i, cases[i].text, out);
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_protocol, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_timeout, setup, teardown),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_units),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
