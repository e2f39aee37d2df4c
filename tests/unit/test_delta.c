/* The event stream's deltas: an unchanged device costs nothing and is not sent, each
 * runtime field counts, devices come and go between polls, 10,000 devices with 100
 * changing give those 100; users are told when named, compared when everyone may have
 * changed, and told as deleted with the name they had. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/portal/delta.h"

static struct account acct(size_t n_users, size_t devs_per_user)
{
	struct account a = { 0 };
	size_t i, k;

	a.users = calloc(n_users ? n_users : 1, sizeof(*a.users));
	a.devs = calloc(n_users * devs_per_user + 1, sizeof(*a.devs));
	assert_non_null(a.users);
	assert_non_null(a.devs);
	for (i = 0; i < n_users; i++) {
		struct acct_user *u = &a.users[a.n_users++];

		u->id = (int64_t)(i + 1) * 2;       /* ids with gaps, as after deletions */
		snprintf(u->name, sizeof(u->name), "u%zu", i + 1);
		for (k = 0; k < devs_per_user; k++) {
			struct acct_device *d = &a.devs[a.n_devs];

			d->id = (int64_t)a.n_devs * 3 + 1;
			d->user_id = u->id;
			snprintf(d->name, sizeof(d->name), "d%zu", a.n_devs);
			a.n_devs++;
		}
	}
	return a;
}

static void acct_free(struct account *a)
{
	free(a->users);
	free(a->devs);
}

static size_t changes(struct delta *d, struct account *a, size_t **changed, size_t *cap)
{
	return delta_devices(d, a, changed, cap);
}

static void test_devices(void **state)
{
	struct account a = acct(3, 2);
	struct delta d = { 0 };
	size_t *ch = NULL, cap = 0;

	(void)state;
	delta_reset(&d, &a);
	assert_int_equal(changes(&d, &a, &ch, &cap), 0);

	/* each runtime field on its own */
	a.devs[1].session_id = 9;
	a.devs[1].session_started = 100;
	assert_int_equal(changes(&d, &a, &ch, &cap), 1);
	assert_int_equal(ch[0], 1);
	assert_int_equal(changes(&d, &a, &ch, &cap), 0);
	a.devs[2].handshake = 5;
	a.devs[4].rx_total = 1;
	assert_int_equal(changes(&d, &a, &ch, &cap), 2);
	assert_int_equal(ch[0], 2);
	assert_int_equal(ch[1], 4);
	a.devs[0].tx_total = 7;
	assert_int_equal(changes(&d, &a, &ch, &cap), 1);
	a.devs[0].rx_rate = 7;
	assert_int_equal(changes(&d, &a, &ch, &cap), 1);
	a.devs[0].tx_rate = 1;
	assert_int_equal(changes(&d, &a, &ch, &cap), 1);
	a.devs[0].rx_rate = a.devs[0].tx_rate = 0;     /* traffic stops: told too */
	assert_int_equal(changes(&d, &a, &ch, &cap), 1);
	strcpy(a.devs[5].endpoint, "192.0.2.1:51820");
	assert_int_equal(changes(&d, &a, &ch, &cap), 1);
	assert_int_equal(ch[0], 5);
	strcpy(a.devs[5].endpoint, "192.0.2.1:51821");
	assert_int_equal(changes(&d, &a, &ch, &cap), 1);
	a.devs[1].session_id = 0;                       /* offline */
	assert_int_equal(changes(&d, &a, &ch, &cap), 1);
	assert_int_equal(ch[0], 1);
	/* session_started is left over when offline: not a change */
	a.devs[1].session_started = 200;
	assert_int_equal(changes(&d, &a, &ch, &cap), 0);
	/* the names and addresses are not runtime (user events tell of those) */
	strcpy(a.devs[3].name, "renamed");
	assert_int_equal(changes(&d, &a, &ch, &cap), 0);

	delta_free(&d);
	free(ch);
	acct_free(&a);
}

/* Devices added and removed between polls: merged by id. */
static void test_devices_come_and_go(void **state)
{
	struct account a = acct(4, 1);
	struct delta d = { 0 };
	size_t *ch = NULL, cap = 0;

	(void)state;
	delta_reset(&d, &a);
	/* a new device in the middle with no runtime: nothing to tell */
	memmove(&a.devs[3], &a.devs[2], 2 * sizeof(*a.devs));
	memset(&a.devs[2], 0, sizeof(*a.devs));
	a.devs[2].id = a.devs[1].id + 1;
	a.devs[2].user_id = a.devs[1].user_id;
	a.n_devs = 5;
	assert_int_equal(changes(&d, &a, &ch, &cap), 0);
	assert_int_equal(d.n_devs, 5);
	/* and one with runtime, at the end, while another changes and the first goes */
	memmove(&a.devs[0], &a.devs[1], 4 * sizeof(*a.devs));
	a.devs[4].id = a.devs[3].id + 10;
	a.devs[4].handshake = 1;
	a.devs[4].session_id = 0;
	a.devs[1].rx_total = 55;
	a.n_devs = 5;
	assert_int_equal(changes(&d, &a, &ch, &cap), 2);
	assert_int_equal(ch[0], 1);
	assert_int_equal(ch[1], 4);
	assert_int_equal(d.n_devs, 5);
	assert_int_equal(d.devs[0].id, a.devs[0].id);
	assert_int_equal(changes(&d, &a, &ch, &cap), 0);
	/* all gone */
	a.n_devs = 0;
	assert_int_equal(changes(&d, &a, &ch, &cap), 0);
	assert_int_equal(d.n_devs, 0);
	delta_free(&d);
	free(ch);
	acct_free(&a);
}

/* DESIGN 14's case: 10,000 devices, 100 of them with traffic in a poll. */
static void test_devices_10k(void **state)
{
	struct account a = acct(10000, 1);
	struct delta d = { 0 };
	size_t *ch = NULL, cap = 0, i, n;
	int poll;

	(void)state;
	delta_reset(&d, &a);
	for (poll = 0; poll < 5; poll++) {
		for (i = 0; i < 100; i++) {
			a.devs[i * 97].rx_total += 1000;
			a.devs[i * 97].session_id = 1;
		}
		n = changes(&d, &a, &ch, &cap);
		assert_int_equal(n, 100);
		for (i = 0; i < n; i++)
			assert_int_equal(ch[i], i * 97);
	}
	assert_int_equal(changes(&d, &a, &ch, &cap), 0);
	delta_free(&d);
	free(ch);
	acct_free(&a);
}

struct told {
	char lines[16][64];
	size_t n;
};

static void tell(int64_t id, const struct acct_user *u, const char *name, void *data)
{
	struct told *t = data;

	assert_true(t->n < 16);
	snprintf(t->lines[t->n++], sizeof(t->lines[0]), "%lld %s %s", (long long)id, name,
		 u ? (u->disabled ? "off" : "on") : "deleted");
}

static void test_users(void **state)
{
	struct account a = acct(3, 1);
	struct delta d = { 0 };
	struct told t = { 0 };

	(void)state;
	delta_reset(&d, &a);
	/* named: told even though its row is the same (a device of it changed) */
	delta_user(&d, &a, 4, tell, &t);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.lines[0], "4 u2 on");
	/* everyone: only what differs */
	t.n = 0;
	delta_users(&d, &a, tell, &t);
	assert_int_equal(t.n, 0);
	a.users[2].disabled = DB_DISABLED_ADMIN;
	a.users[0].expires = 99;
	delta_users(&d, &a, tell, &t);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.lines[0], "2 u1 on");
	assert_string_equal(t.lines[1], "6 u3 off");
	t.n = 0;
	delta_users(&d, &a, tell, &t);
	assert_int_equal(t.n, 0);

	/* deleted: told with the name it had, once */
	memmove(&a.users[0], &a.users[1], 2 * sizeof(*a.users));
	a.n_users = 2;
	delta_user(&d, &a, 2, tell, &t);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.lines[0], "2 u1 deleted");
	delta_user(&d, &a, 2, tell, &t);
	assert_int_equal(t.n, 1);
	/* one never told and gone already: nothing */
	delta_user(&d, &a, 1000, tell, &t);
	assert_int_equal(t.n, 1);

	/* added: told, and recorded in order */
	a.users[2] = a.users[1];
	memset(&a.users[1], 0, sizeof(a.users[1]));
	a.users[1].id = 5;
	snprintf(a.users[1].name, sizeof(a.users[1].name), "new");
	a.n_users = 3;
	t.n = 0;
	delta_user(&d, &a, 5, tell, &t);
	assert_string_equal(t.lines[0], "5 new on");
	assert_int_equal(d.n_users, 3);
	assert_true(d.users[0].id < d.users[1].id && d.users[1].id < d.users[2].id);
	t.n = 0;
	delta_users(&d, &a, tell, &t);
	assert_int_equal(t.n, 0);

	/* everyone, with one added and one deleted since */
	a.users[0].id = 3;
	snprintf(a.users[0].name, sizeof(a.users[0].name), "three");
	delta_users(&d, &a, tell, &t);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.lines[0], "3 three on");
	assert_string_equal(t.lines[1], "4 u2 deleted");
	delta_free(&d);
	acct_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_devices_come_and_go),
		cmocka_unit_test(test_devices_10k),
		cmocka_unit_test(test_users),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
